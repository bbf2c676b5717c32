package embtune.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --spark} on a library command: the library carries no Spark, so the command runs again as
 * the spark/ module's script, through the repository's {@code ./jbang}, with the same arguments,
 * and this process exits with its status.
 */
final class SparkHandOff {
    private SparkHandOff() {}

    static boolean requested(String[] argv) {
        for (String a : argv) if (a.equals("--spark") || a.equals("--spark=true") || a.equals("--spark=True")) return true;
        return false;
    }

    static void run(String script, String[] argv) {
        Path root = repository();
        if (root == null) {
            System.err.println("--spark: run it from embtune's folder (./jbang " + script + " ...), or submit the spark/ jar with spark-submit");
            System.exit(2);
        }
        List<String> cmd = new ArrayList<>(List.of(root.resolve("jbang").toString(), root.resolve(script).toString()));
        for (String a : argv) if (!a.equals("--spark") && !a.startsWith("--spark=")) cmd.add(a);
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
            System.exit(p.waitFor());
        } catch (IOException e) {
            System.err.println("--spark: cannot start " + cmd.get(0) + ": " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(130);
        }
    }

    /** The embtune checkout this command runs from: the working folder or one above it with ./jbang and spark/. */
    private static Path repository() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isRegularFile(p.resolve("jbang")) && Files.isDirectory(p.resolve("spark"))) return p;
        return null;
    }
}
