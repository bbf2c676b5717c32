package embtune.spark.cli;

import embtune.cli.Cli;
import embtune.cli.MineCommand;
import embtune.mine.Teacher;
import embtune.spark.MineNegatives;
import embtune.spark.ModelSource;
import embtune.spark.SparkTeacher;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mine --spark ...}: the mine command, same flags and same rows, with the texts embedded and
 * the corpus searched on Spark ({@code local[*]} by default, any master with {@code --master} or
 * spark-submit). The library's {@code ./jbang mine --spark} hands over to this.
 */
public final class MineSparkCommand {
    private MineSparkCommand() {}

    static Cli cli() {
        return MineCommand.cli()
                .option("master", null, "Spark master (default local[*]; spark-submit's when run by it)")
                .option("partitions", null, "slices of the texts and of the corpus (default: two per core of the cluster)")
                .option("ship_model", "auto", "send the model folder to executors: auto (unless local), true, or false (a path every executor sees)");
    }

    public static void main(String[] argv) {
        SparkMain.quietLogs();
        cli().run(argv, MineSparkCommand::run);
    }

    static void run(Cli.Args a) throws Exception {
        String model = a.get("model");
        if (model != null && (model.startsWith("http://") || model.startsWith("https://")))
            throw new Cli.UsageError("--spark embeds with a model on the executors; an endpoint teacher needs no Spark (drop --spark)");
        boolean own = !SparkMain.running();
        SparkSession spark = SparkMain.session("mine", a.get("master"));
        try {
            int partitions = a.has("partitions") ? a.integer("partitions") : MineNegatives.defaultPartitions(spark);
            embtune.spark.SparkFailures.rethrowCause(() -> {
                MineCommand.run(a, System.out, (args, batch) -> teacher(spark, args, batch, partitions),
                        miner -> MineNegatives.setUp(miner, spark, partitions));
                return null;
            });
        } finally {
            if (own) spark.stop();
        }
    }

    private static Teacher teacher(SparkSession spark, Cli.Args a, int batch, int partitions) {
        ModelSource m = ModelSource.resolve(a.get("model"), a.get("adapters"), Cli.hub(a)).batchSize(batch)
                .maxLength(a.has("max_length") ? a.integer("max_length") : null);
        Boolean ship = SparkMain.ship(a.get("ship_model"));
        if (ship != null ? ship : !spark.sparkContext().isLocal()) m = m.ship(spark.sparkContext());
        return new SparkTeacher(spark, m, partitions);
    }
}
