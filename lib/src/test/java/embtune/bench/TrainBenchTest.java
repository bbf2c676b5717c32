package embtune.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.engine.Precision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The GPU benchmark's four workloads run end to end on the CPU with shrunk models (shapes only), two steps each. */
class TrainBenchTest {
    static final TrainBench.Options TINY = new TrainBench.Options("cpu", 2, 1, true, false);

    @Test
    void everyWorkloadRunsInEveryCpuPrecision() {
        for (TrainBench.Workload w : TrainBench.WORKLOADS)
            for (Precision p : List.of(Precision.FP32, Precision.FP16)) {
                Map<String, Object> r = TrainBench.run(w, p, TINY);
                assertEquals(w.id(), r.get("workload"));
                assertEquals(p.id(), r.get("precision"));
                assertEquals(w.pairs(), r.get("pairs"));
                assertEquals(w.tokens(), r.get("tokens"));
                assertTrue(((Number) r.get("pairs_per_s")).doubleValue() > 0, r.toString());
                assertEquals(2.0 * w.tokens(), ((Number) r.get("tokens_per_s")).doubleValue() / ((Number) r.get("pairs_per_s")).doubleValue(),
                        0.01 * 2 * w.tokens(), "tokens/s = pairs/s x 2 texts x tokens");
                assertTrue(Double.isFinite(((Number) r.get("loss")).doubleValue()), r.toString());
                assertTrue(((Number) r.get("peak_gib")).doubleValue() > 0, r.toString());
            }
    }

    @Test
    void checkpointingRunsEveryWorkloadToTheSameLoss() {
        for (TrainBench.Workload w : TrainBench.WORKLOADS) {
            Map<String, Object> plain = TrainBench.run(w, Precision.FP32, new TrainBench.Options("cpu", 2, 0, true, false));
            Map<String, Object> ckpt = TrainBench.run(w, Precision.FP32, new TrainBench.Options("cpu", 2, 0, true, true));
            assertEquals(true, ckpt.get("gradient_checkpointing"));
            double a = ((Number) plain.get("loss")).doubleValue(), b = ((Number) ckpt.get("loss")).doubleValue();
            assertTrue(Double.isFinite(a), plain.toString());
            assertEquals(a, b, 1e-4 * Math.max(1, Math.abs(a)), w.id() + ": recomputing layers must not change the second step's loss");
        }
    }

    @Test
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
