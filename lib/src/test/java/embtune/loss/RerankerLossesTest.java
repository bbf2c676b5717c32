package embtune.loss;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.eval.RerankMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * reranker.json's loss cases (ms-swift's pointwise_reranker / listwise_reranker computed by torch):
 * loss and gradient w.r.t. the scores, in float64; and its MRR / NDCG cases.
 */
class RerankerLossesTest {
    static Stream<String> cases() {
        List<String> names = new ArrayList<>();
        Fixtures.json("reranker.json").get("losses").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    static JsonNode find(String section, String name) {
        for (JsonNode c : Fixtures.json("reranker.json").get(section)) if (c.get("name").asText().equals(name)) return c;
        throw new AssertionError(name);
    }

    static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asDouble();
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lossAndGradientMatchTorch(String name) {
        JsonNode c = find("losses", name);
        RerankerOptions options = new RerankerOptions(1, 7, c.path("temperature").asDouble(1.0), c.path("min_group_size").asInt(2), "yes", "no");
        RerankerLoss loss = RerankerLossType.parse(c.get("loss").asText()).create(options);
        double[] grad = doubles(c.get("grad_scores"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(doubles(c.get("scores"))).toType(DataType.FLOAT64, false);
            s.setRequiresGradient(true);
            double value;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss.compute(s, Fixtures.floats(c.get("labels")));
                gc.backward(l);
                value = l.getDouble();
            }
            double want = c.get("value").asDouble();
            assertEquals(want, value, Math.abs(want) * 1e-9 + 1e-12, name + " loss");
            double[] g = s.getGradient().toDoubleArray();
            for (int i = 0; i < g.length; i++) assertEquals(grad[i], g[i], 1e-9, name + " d loss / d score " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("metricCases")
    void mrrAndNdcgMatchMsSwift(String name) {
        JsonNode c = find("metrics", name);
        Map<String, Double> got = RerankMetrics.compute(Fixtures.floats(c.get("scores")), Fixtures.floats(c.get("labels")));
        assertEquals(c.get("expected").get("mrr").asDouble(), got.get("mrr@10"), 1e-9, name + " mrr");
        assertEquals(c.get("expected").get("ndcg").asDouble(), got.get("ndcg@10"), 1e-9, name + " ndcg");
    }

    static Stream<String> metricCases() {
        List<String> names = new ArrayList<>();
        Fixtures.json("reranker.json").get("metrics").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    @Test
    void optionsComeFromMsSwiftsEnvironmentVariables() {
        RerankerOptions o = RerankerOptions.fromEnvironment(Map.of("MAX_POSITIVE_SAMPLES", "2", "MAX_NEGATIVE_SAMPLES", "3",
                "LISTWISE_RERANKER_TEMPERATURE", "0.05", "LISTWISE_RERANKER_MIN_GROUP_SIZE", "4",
                "GENERATIVE_RERANKER_POSITIVE_TOKEN", "true", "GENERATIVE_RERANKER_NEGATIVE_TOKEN", "false"));
        assertEquals(new RerankerOptions(2, 3, 0.05, 4, "true", "false"), o);
        assertEquals(RerankerOptions.defaults(), RerankerOptions.fromEnvironment(Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RerankerOptions.fromEnvironment(Map.of("MAX_NEGATIVE_SAMPLES", "many")));
        assertEquals("MAX_NEGATIVE_SAMPLES='many' is not an integer", e.getMessage());
    }

    @Test
    void noGroupLeftIsAZeroLossThatStillBackpropagates() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(new float[] {0.3f, -1f, 2f});
            s.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = new ListwiseRerankerLoss().compute(s, new float[] {0, 0, 1});
                gc.backward(l);
                assertEquals(0f, l.getFloat());
            }
            assertArrayEquals(new float[] {0, 0, 0}, s.getGradient().toFloatArray());
        }
    }
}
