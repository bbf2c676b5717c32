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

    /**
     * Starts {@code main} with {@code args} in a new JVM (same java, JVM options and class path)
     * with {@code changes} applied to the environment (a null value removes the variable), waits,
     * and exits with its code. The command is rebuilt rather than read back from the OS: Linux
     * hands Java at most 4096 bytes of a process's command line, less than a JBang class path.
     */
    public static void withEnvironment(Map<String, String> changes, Class<?> main, String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        changes.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        pb.environment().put(MARKER, "1");
        try {
            Process p = pb.start();
            // Ctrl-C reaches the child, which saves a checkpoint and writes its report: wait for that, or
            // whoever waits on this process would find the run folder half finished
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                p.destroy();
                try {
                    p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }));
            System.exit(p.waitFor());
        } catch (IOException e) {
            throw new IllegalStateException("could not restart the JVM with " + changes + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(130);
        }
    }
}
