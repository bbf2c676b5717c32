package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.BaseNDManager;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.data.Dataset;
import embtune.loss.CosineSimilarityLoss;
import embtune.loss.EmbeddingLoss;
import embtune.loss.Layout;
import embtune.model.Embedder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class TrainerTest {
    @TempDir Path dir;

    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    static Dataset data() {
        return Dataset.load("../datasets/stsb-train.jsonl#24");
    }

    Trainer trainer(Embedder model) {
        Trainer t = Trainer.with(model).loss("cosine_similarity").batchSize(4).maxSteps(6).learningRate(1e-3)
                .outputDir(dir.resolve("output").toString()).logTo(QUIET).terminal(false);
        t.set("logging_steps", 1);
        t.set("save_steps", 3);
        t.set("gradient_accumulation_steps", 1);
        t.set("lr_scheduler_type", "cosine");
        return t;
    }

    static List<Double> losses(Run run) {
        List<Double> l = new ArrayList<>();
        for (TrainEvent e : run.history()) if (e instanceof TrainEvent.Step s) l.add(s.loss());
        return l;
    }

    @Test
    void resumeContinuesTheUninterruptedLossCurve() {
        List<Double> straight;
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            straight = losses(trainer(m).fit(data()));
        }
        assertEquals(6, straight.size());

        Run first;
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m);
            t.onLog(e -> { if (e.step() == 3) t.requestStop(); }); // Ctrl-C after step 3
            first = t.fit(data());
        }
        assertTrue(first.interrupted());
        assertEquals("checkpoint-3", first.lastCheckpoint().getFileName().toString());
        try (Embedder m = Embedder.load(first.lastCheckpoint())) {
            Trainer t = trainer(m);
            t.set("resume_from_checkpoint", first.lastCheckpoint().toString());
            List<Double> resumed = losses(t.fit(data()));
            assertEquals(6, resumed.size(), "history carries over: " + resumed);
            for (int i = 0; i < 6; i++) assertEquals(straight.get(i), resumed.get(i), 1e-5, "step " + (i + 1));
        }
    }

    @Test
    void fp16WithCheckpointingLogsTheScaleAndResumesIt() {
        Run first;
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m);
            t.set("precision", "fp16");
            t.set("gradient_checkpointing", true);
            t.onLog(e -> { if (e.step() == 3) t.requestStop(); });
            first = t.fit(data());
            assertEquals(embtune.engine.Precision.FP32, m.precision(), "after training the model embeds in fp32 again");
        }
        Map<String, Object> e3 = first.history().get(first.history().size() - 1).toMap();
        assertTrue(e3.containsKey("loss_scale") && e3.containsKey("skipped_steps"), "fp16 events log the scaler: " + e3);
        double scale = ((Number) e3.get("loss_scale")).doubleValue();
        long skipped = ((Number) e3.get("skipped_steps")).longValue();
        assertEquals(65536.0 / Math.pow(2, skipped), scale, 1e-6);
        var st = embtune.weights.Safetensors.open(first.lastCheckpoint().resolve(Checkpoint.OPTIMIZER));
        assertTrue(st.tensors().containsKey("scaler.scale") && st.tensors().containsKey("applied_steps"), st.tensors().keySet().toString());
        try (Embedder m = Embedder.load(first.lastCheckpoint())) {
            Trainer t = trainer(m);
            t.set("precision", "fp16");
            t.set("resume_from_checkpoint", first.lastCheckpoint().toString());
            Run resumed = t.fit(data());
            Map<String, Object> e6 = resumed.history().stream().filter(e -> e.step() == 6).findFirst().orElseThrow().toMap();
            assertTrue(Double.isFinite(((Number) e6.get("loss")).doubleValue()) && e6.containsKey("loss_scale"), e6.toString());
        }
    }

    @Test
    void runFolderHoldsArgsLogAndLoadableCheckpoints() throws Exception {
        Run run;
        List<String> texts = List.of("A man plays a guitar.", "The market fell.");
        float[][] trained;
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m);
            t.set("save_total_limit", 1);
            t.set("split_dataset_ratio", 0.25);
            t.set("eval_steps", 3);
            run = t.fit(data());
            trained = m.embed(texts);
        }
        Path d = run.dir();
        assertTrue(d.getFileName().toString().matches("v0-\\d{8}-\\d{6}"), d.toString());
        TrainConfig back = TrainConfig.fromJson(Files.readString(d.resolve("args.json")));
        assertEquals("cosine_similarity", back.lossType);
        // args.json records the values the run applied, defaults resolved
        assertEquals(1e-3, back.learningRate);
        assertEquals(1, back.gradientAccumulationSteps);
        assertEquals(3, back.evalSteps);
        assertEquals(0.25, back.splitDatasetRatio);
        assertEquals("fp32", back.precision);
        assertEquals(Fixtures.dir("tiny-bert").toAbsolutePath().normalize().toString(), back.model);
        List<String> log = Files.readAllLines(d.resolve("logging.jsonl"));
        assertEquals(6 + 2, log.size(), "6 training lines and 2 eval lines");
        assertTrue(log.get(3).contains("\"eval_loss\"") && log.get(3).contains("\"step\":3"), log.get(3));
        assertEquals(List.of("checkpoint-6"), Files.list(d).map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith("checkpoint")).toList(), "save_total_limit 1 keeps the newest (also the best here)");
        Path ck = d.resolve("checkpoint-6");
        JsonNode state = Checkpoint.state(ck);
        assertEquals(6, state.get("global_step").asInt());
        assertEquals(8, state.get("log_history").size());
        assertTrue(Files.exists(ck.resolve("optimizer.safetensors")));
        assertTrue(embtune.weights.Safetensors.open(ck.resolve("optimizer.safetensors")).tensors()
                .containsKey("exp_avg.embeddings.word_embeddings.weight"));
        try (Embedder back2 = Embedder.load(ck)) {
            double diff = Fixtures.maxDiff(trained, back2.embed(texts));
            assertTrue(diff < 1e-6, "the checkpoint embeds as the trained model did: " + diff);
            try (Embedder base = Embedder.load(Fixtures.dir("tiny-bert"))) {
                assertTrue(Fixtures.maxDiff(base.embed(texts), trained) > 1e-4, "training changed the weights");
            }
        }
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            assertTrue(trainer(m).fit(data()).dir().getFileName().toString().startsWith("v1-"), "versions count up");
        }
    }

    /** Cosine similarity that turns into NaN from its third call on. */
    static final class PoisonedLoss implements EmbeddingLoss {
        int calls;

        @Override
        public NDArray compute(NDArray e, Layout l) {
            NDArray loss = new CosineSimilarityLoss().compute(e, l);
            return ++calls >= 3 ? loss.mul(Float.NaN) : loss;
        }
    }

    @Test
    void nanLossStopsAndLeavesTheLastGoodCheckpoint() throws Exception {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m).loss(new PoisonedLoss());
            t.set("save_steps", 1);
            var err = assertThrows(Trainer.TrainingError.class, () -> t.fit(data()));
            assertTrue(err.getMessage().contains("at step 3") && err.getMessage().contains("checkpoint-2"), err.getMessage());
        }
        Path run = Files.list(dir.resolve("output")).findFirst().orElseThrow();
        assertFalse(Files.exists(run.resolve("checkpoint-3")), "no checkpoint of the NaN step");
        try (Embedder good = Embedder.load(run.resolve("checkpoint-2"))) {
            for (float v : good.embed("a finite vector")[0]) assertTrue(Float.isFinite(v));
        }
    }

    @Test

    void memoryIsFlatOverAThousandSteps() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m).batchSize(2).maxSteps(1000);
            t.set("logging_steps", 100);
            t.set("save_steps", 100_000);
            t.set("lr_scheduler_type", "constant");
            t.set("learning_rate", 1e-4);
            List<Integer> arrays = new ArrayList<>();
            List<Long> rss = new ArrayList<>();
            t.onLog(e -> {
                if (!(e instanceof TrainEvent.Step)) return;
                arrays.add(((BaseNDManager) m.manager()).getManagedArrays().size());
                rss.add(nativeKb());
            });
            t.fit(data());
            assertEquals(10, arrays.size());
            assertEquals(arrays.get(1), arrays.get(9), "live NDArrays from step 200 to 1000: " + arrays);
            System.out.println("native kB at steps 100..1000: " + rss);
            assertTrue(rss.get(9) - rss.get(4) < 30_000, "native memory grew by " + (rss.get(9) - rss.get(4)) + " kB: " + rss);
        }
    }

    @Test

    void fp16WithCheckpointingKeepsNoArraysAcrossSteps() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m).batchSize(2).maxSteps(150);
            t.set("precision", "fp16");
            t.set("gradient_checkpointing", true);
            t.set("mini_batch_size", 2);
            t.set("logging_steps", 15);
            t.set("save_steps", 100_000);
            List<Integer> arrays = new ArrayList<>();
            t.onLog(e -> {
                if (e instanceof TrainEvent.Step) arrays.add(((BaseNDManager) m.manager()).getManagedArrays().size());
            });
            t.fit(data());
            assertEquals(10, arrays.size());
            assertEquals(arrays.get(1), arrays.get(9), "live NDArrays from step 30 to 150: " + arrays);
        }
    }

    /** Resident memory not explained by the JVM's own committed heap and non-heap. */
    static long nativeKb() {
        System.gc();
        var mx = java.lang.management.ManagementFactory.getMemoryMXBean();
        return rssKb() - (mx.getHeapMemoryUsage().getCommitted() + mx.getNonHeapMemoryUsage().getCommitted()) / 1024;
    }

    static long rssKb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status")))
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        } catch (Exception ignored) {
            // not Linux: the array count still measures leaks
        }
        return 0;
    }
}
