package embtune.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs this same JVM command again with a changed environment and exits with its status. Used
 * for TF32: libtorch reads TORCH_ALLOW_TF32_CUBLAS_OVERRIDE from the C environment of the
 * process, which Java cannot change for itself.
 */
public final class Relaunch {
    static final String MARKER = "EMBTUNE_RELAUNCHED";

    private Relaunch() {}

    /** True in the child of a relaunch (so it never relaunches again). */
    public static boolean isChild() {
        return System.getenv(MARKER) != null;
    }

    /** Starts the child with {@code changes} applied (a null value removes the variable), waits, exits with its code. */
    public static void withEnvironment(Map<String, String> changes) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty())
            throw new IllegalStateException("cannot read this JVM's command line to restart it; set the environment yourself: " + changes);
        List<String> cmd = new ArrayList<>();
        cmd.add(info.command().get());
        cmd.addAll(List.of(info.arguments().get()));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        changes.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        pb.environment().put(MARKER, "1");
        try {
            Process p = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy)); // Ctrl-C reaches the child, which saves a checkpoint
            System.exit(p.waitFor());
        } catch (IOException e) {
            throw new IllegalStateException("could not restart the JVM with " + changes + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(130);
        }
    }
}
