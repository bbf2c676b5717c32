package embtune.spark.cli;

import embtune.cli.Cli;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/** What the Spark commands share: the session and quiet logs. */
final class SparkMain {
    private SparkMain() {}

    /** Spark's INFO lines, unless the user configured log4j: a command prints its result, not Spark's chatter. */
    static void quietLogs() {
        if (System.getProperty("log4j2.configurationFile") == null)
            System.setProperty("log4j2.configurationFile", "embtune/spark/log4j2-command.properties");
    }

    /** Whether a session runs already (a notebook's, a test's): the command uses it, and leaves it running. */
    static boolean running() {
        return SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    }

    /**
     * Spark inside this JVM ({@code local[*]}) unless a master is given or spark-submit set one.
     */
    static SparkSession session(String app, String master) {
        SparkSession.Builder b = SparkSession.builder().appName(app).config("spark.ui.showConsoleProgress", "false");
        if (master != null) b.master(master);
        else if (System.getProperty("spark.master") == null) b.master("local[*]");
        return b.getOrCreate();
    }

    static Boolean ship(String flag) {
        return switch (flag.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "true", "yes" -> true;
            case "false", "no" -> false;
            default -> throw new Cli.UsageError("--ship_model must be auto, true or false");
        };
    }

}
