package embtune.bench;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.engine.Precision;
import embtune.loss.InfoNceOptions;
import embtune.loss.LossType;
import embtune.loss.Losses;
import embtune.model.Embedder;
import embtune.train.StepBatch;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * bench/src/TrainBench.java (compiled with the tests, see lib/pom.xml): the GPU benchmark's four
 * workloads on the CPU with shrunk models (shapes kept). What it reports is checked against what
 * it measured: the loss against the same model's loss computed here, the rates against its step
 * time and the wall clock, the peak against the process's resident memory. Minutes on a CPU (the
 * Qwen3-shaped steps, fp16 emulated): tagged slow, so left out of {@code -Pquick}.
 */
@Tag("slow")
class TrainBenchTest {
    static double number(Map<String, Object> r, String key) {
        assertTrue(r.get(key) instanceof Number, key + " in " + r);
        return ((Number) r.get(key)).doubleValue();
    }

    /**
     * The untrained random model's loss on the benchmark's first batch, by a plain forward pass (no optimizer, no graph),
     * in training mode with the dropout masks the first step draws (seed 0, step 0, micro-batch 0, rows from 0).
     */
    static double firstBatchLoss(TrainBench.Workload w) {
        StepBatch batch = TrainBench.batch(w, 0);
        try (Embedder model = Embedder.random(w.config(true), w.pooling(), "cpu", 0, w.tokens());
             NDManager nd = model.manager().newSubManager()) {
            var loss = Losses.create(LossType.parse(w.loss()), 0.5, InfoNceOptions.defaults(), null, null, new Random(0));
            model.encoder().train(true);
            long dropoutSeed = embtune.engine.Seeds.of(0, embtune.engine.Seeds.Stream.DROPOUT, 0, 0, 0);
            return loss.compute(model.forward(model.encode(batch.texts()), nd, dropoutSeed), batch.layout()).getFloat();
        }
    }

    static long residentBytes() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        return 0;
    }

    @Test
    void theReportedLossIsTheModelsLossOnTheBatchItTrainedOn() {
        for (TrainBench.Workload w : TrainBench.WORKLOADS) {
            // one timed step, no warm-up: the loss reported is the first batch's under the initial weights
            // (for LoRA too: B starts at zero, so the adapter adds nothing yet)
            Map<String, Object> r = TrainBench.run(w, Precision.FP32, new TrainBench.Options("cpu", 1, 0, true, false));
            double expected = firstBatchLoss(w);
            assertTrue(expected > 0.01, w.id() + ": a loss with something to learn: " + expected);
            assertEquals(expected, number(r, "loss"), 2e-5, w.id() + ": " + r);
        }
    }

    @Test
    void ratesFollowFromTheMeasuredStepTime() throws Exception {
        long rssBefore = residentBytes();
        for (TrainBench.Workload w : TrainBench.WORKLOADS)
            for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
                long t0 = System.nanoTime();
                Map<String, Object> r = TrainBench.run(w, p, new TrainBench.Options("cpu", 2, 1, true, false));
                double wall = (System.nanoTime() - t0) / 1e9;
                assertEquals(p.id(), r.get("precision"), "fp16 runs as fp16 on the CPU too");
                double step = number(r, "step_s");
                assertTrue(step > 0 && 2 * step <= wall, w.id() + ": two timed steps fit in the call's " + wall + " s: " + r);
                // relative rounding of the printed figures: step_s to 0.1 ms, pairs_per_s to 0.001, tokens_per_s to 1
                double pairsPerS = number(r, "pairs_per_s"), tokensPerS = number(r, "tokens_per_s"), stepRounding = 0.5e-4 / step;
                assertEquals(w.pairs(), pairsPerS * step, (stepRounding + 0.5e-3 / pairsPerS + 1e-6) * w.pairs(),
                        "pairs/s = pairs / step time: " + r);
                assertEquals(2.0 * w.pairs() * w.tokens(), tokensPerS * step, (stepRounding + 0.5 / tokensPerS + 1e-6) * 2 * w.pairs() * w.tokens(),
                        "tokens/s = pairs x 2 texts x tokens / step time: " + r);
                // VmHWM: never below what this process already held before the run (0.01 GiB rounding)
                assertTrue(number(r, "peak_gib") * (1L << 30) >= rssBefore - (0.005 * (1L << 30)),
                        "peak " + r.get("peak_gib") + " GiB under the " + rssBefore + " bytes resident before");
                assertEquals("process_rss_peak", r.get("memory"));
                assertTrue(Double.isFinite(number(r, "loss")), r.toString());
            }
    }

    @Test
    void checkpointingRunsEveryWorkloadToTheSameLoss() {
        for (TrainBench.Workload w : TrainBench.WORKLOADS) {
            Map<String, Object> plain = TrainBench.run(w, Precision.FP32, new TrainBench.Options("cpu", 2, 0, true, false));
            Map<String, Object> ckpt = TrainBench.run(w, Precision.FP32, new TrainBench.Options("cpu", 2, 0, true, true));
            assertEquals(true, ckpt.get("gradient_checkpointing"));
            double a = number(plain, "loss"), b = number(ckpt, "loss");
            assertTrue(Double.isFinite(a), plain.toString());
            assertEquals(a, b, 1e-4 * Math.max(1, Math.abs(a)), w.id() + ": recomputing layers must not change the second step's loss");
        }
    }

    @Test
    @Tag("subprocess")
    void theDefaultModeRunsEachCaseInAFreshJvmAndPrintsJsonLines() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        try {
            TrainBench.main(new String[] {"--workload", "minilm-cosine-64x32", "--precision", "fp32,tf32", "--steps", "2", "--warmup", "0",
                    "--device", "cpu", "--tiny"});
        } finally {
            System.setOut(old);
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String l : buf.toString().split("\n")) if (!l.isBlank()) lines.add(new ObjectMapper().readTree(l));
        assertEquals(2, lines.size(), buf.toString());
        assertEquals("fp32", lines.get(0).get("precision").asText());
        assertEquals("fp32", lines.get(1).get("precision").asText(), "tf32 on a CPU is fp32, and says so");
        assertTrue(lines.get(1).get("pairs_per_s").asDouble() > 0);
    }
}
