package embtune.spark;

import static embtune.spark.SparkTests.assertSameVectors;
import static embtune.spark.SparkTests.embedInProcess;
import static embtune.spark.SparkTests.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * EmbedCorpus on a real standalone cluster (a Master and two Workers on 127.0.0.1, two executor
 * JVMs, the model shipped to them), with one worker killed mid-job: Spark runs the lost tasks again
 * on the other executor and the output is still whole and equal to in-process embedding.
 */
@Tag("slow")
@Tag("subprocess")
class EmbedCorpusClusterTest {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp; // a failure leaves the daemons' and executors' logs

    @Test
    void killedWorkerIsRetriedAndTheOutputIsWhole() throws Exception {
        List<String> texts = SparkTests.sentences(1200);
        Path in = Files.createDirectories(tmp.resolve("parts"));
        for (int p = 0; p < 12; p++) // twelve files, twelve partitions: work left to lose when the worker dies
            SparkTests.jsonl(in.resolve("part-" + p + ".jsonl"), texts.subList(p * 100, (p + 1) * 100), p * 100);
        Path out = tmp.resolve("out.parquet");

        try (StandaloneCluster cluster = StandaloneCluster.start(tmp, 2)) {
            SparkSession.Builder b = SparkSession.builder().master(cluster.url()).appName("embtune-cluster-test")
                    .config("spark.sql.files.maxPartitionBytes", "32k");
            StandaloneCluster.appConf().forEach(b::config);
            SparkSession spark = b.getOrCreate();
            try {
                StandaloneCluster.awaitExecutors(spark.sparkContext(), 2, 180_000);
                KillOnSecondTask killer = new KillOnSecondTask(cluster, spark.sparkContext().applicationId());
                spark.sparkContext().addSparkListener(killer);

                ModelSource model = ModelSource.resolve(fixture("tiny-qwen3").toString(), fixture("tiny-qwen3-lora").toString(), null);
                EmbedCorpus.Result r = EmbedCorpus.of(model).input(in.toString()).format("jsonl").output(out.toString()).run(spark);

                assertEquals(1200, r.rows());
                assertEquals(12, r.partitions());
                assertTrue(killer.killed.get() >= 0, "a worker was killed mid-job");
                assertTrue(killer.removed.size() == 1, "the killed worker's executor was lost: " + killer.removed);
                assertTrue(killer.failedTasks.get() >= 1, "a task was running on the killed executor and ran again elsewhere");
                assertTrue(killer.succeededOn.size() == 2, "both executors did work: " + killer.succeededOn);
                assertSameVectors(embedInProcess(fixture("tiny-qwen3"), fixture("tiny-qwen3-lora"), texts),
                        SparkTests.vectors(spark, out, "id"), "d");
            } finally {
                spark.stop();
            }
        }
    }

    /**
     * Kills the worker of the first executor that starts a second embedding task: that task is
     * running when its JVM dies, and the executor has already written output that must survive.
     * (Reading the input runs jobs too; those are left alone.)
     */
    static final class KillOnSecondTask extends SparkListener {
        final StandaloneCluster cluster;
        final String appId;
        final Set<String> succeededOn = ConcurrentHashMap.newKeySet();
        final Set<String> removed = ConcurrentHashMap.newKeySet();
        final Set<Integer> embeddingStages = ConcurrentHashMap.newKeySet();
        final AtomicInteger killed = new AtomicInteger(-1), failedTasks = new AtomicInteger();

        KillOnSecondTask(StandaloneCluster cluster, String appId) {
            this.cluster = cluster;
            this.appId = appId;
        }

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            String description = e.properties() == null ? null : e.properties().getProperty("spark.job.description");
            if (description != null && description.startsWith("embed ")) e.stageInfos().foreach(s -> embeddingStages.add(s.stageId()));
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart e) {
            if (!embeddingStages.contains(e.stageId())) return;
            String exec = e.taskInfo().executorId();
            if (!succeededOn.contains(exec) || killed.get() >= 0) return;
            int w = cluster.workerOf(appId, exec);
            if (w >= 0 && killed.compareAndSet(-1, w)) cluster.kill(w);
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (!embeddingStages.contains(e.stageId())) return;
            if (e.taskInfo().successful()) succeededOn.add(e.taskInfo().executorId());
            else failedTasks.incrementAndGet();
        }

        @Override
        public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
            removed.add(e.executorId());
        }
    }
}
