package embtune.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;

/**
 * A Spark standalone cluster on the loopback, made of Spark's own daemons: one
 * {@code org.apache.spark.deploy.master.Master} and N {@code ...worker.Worker} processes, each worker
 * starting its executors as child JVMs, as on a real cluster. The processes run this test's class
 * path; a stand-in SPARK_HOME (an empty {@code jars/}) satisfies the workers' launcher, and the
 * application brings its classes with {@code spark.executor.extraClassPath}.
 */
public final class StandaloneCluster implements AutoCloseable {
    private final Process master;
    private final List<Process> workers = new ArrayList<>();
    private final List<Path> workDirs = new ArrayList<>();
    private final int port;

    private StandaloneCluster(Process master, int port) {
        this.master = master;
        this.port = port;
    }

    public static StandaloneCluster start(Path dir, int workers) throws IOException {
        Path home = Files.createDirectories(dir.resolve("spark-home").resolve("jars")).getParent();
        int port = freePort();
        StandaloneCluster c = new StandaloneCluster(daemon(dir.resolve("master.log"), home,
                "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", "0"), port);
        try {
            // workers started at once retry until the master listens: no waiting in turn
            for (int i = 0; i < workers; i++) {
                Path work = Files.createDirectories(dir.resolve("worker-" + i));
                c.workDirs.add(work);
                c.workers.add(daemon(dir.resolve("worker-" + i + ".log"), home, "org.apache.spark.deploy.worker.Worker",
                        "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", "0", "--work-dir", work.toString(), c.url()));
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public String url() {
        return "spark://127.0.0.1:" + port;
    }

    /** The settings an application needs on this cluster: our classes for the executors, small JVMs. */
    public static Map<String, String> appConf() {
        return Map.of("spark.executor.extraClassPath", System.getProperty("java.class.path"),
                "spark.executor.memory", "512m", "spark.executor.cores", "1", "spark.cores.max", "2",
                "spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1", "spark.ui.enabled", "false");
    }

    /** Waits until {@code n} executors (besides the driver) have registered with the application. */
    public static void awaitExecutors(SparkContext sc, int n, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (sc.statusTracker().getExecutorInfos().length < n + 1) {
            if (System.currentTimeMillis() > end)
                throw new IllegalStateException("only " + (sc.statusTracker().getExecutorInfos().length - 1) + " of " + n + " executors came up");
            Thread.sleep(200);
        }
    }

    /**
     * Which worker runs executor {@code executorId}: a worker keeps each executor's files in
     * {@code WORK_DIR/APP_ID/EXECUTOR_ID}.
     */
    int workerOf(String appId, String executorId) {
        for (int i = 0; i < workDirs.size(); i++) if (Files.isDirectory(workDirs.get(i).resolve(appId).resolve(executorId))) return i;
        return -1;
    }

    /** Kills worker {@code i} and the executors it started, at once (SIGKILL), as a lost machine would. */
    void kill(int i) {
        Process w = workers.get(i);
        w.descendants().forEach(ProcessHandle::destroyForcibly);
        w.destroyForcibly();
    }

    @Override
    public void close() {
        for (Process w : workers) {
            w.descendants().forEach(ProcessHandle::destroyForcibly);
            w.destroyForcibly();
        }
        master.destroyForcibly();
    }

    private static Process daemon(Path log, Path home, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (!a.startsWith("-Xmx")) cmd.add(a);
        // the daemons only pass messages: a small heap, and no optimising JIT competing with the executors for the cores
        cmd.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
