package embtune.loss;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.model.Pooling;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case in losses.json: raw rows are L2-normalised (as the model does), the loss is
 * computed, and the loss and its gradient w.r.t. the raw rows are compared. Run in float64, so
 * the comparison measures the math, not float32 rounding.
 */
class FixtureLossesTest {
    static Stream<String> cases() {
        List<String> names = new ArrayList<>();
        Fixtures.json("losses.json").get("losses").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    static JsonNode find(String name) {
        for (JsonNode c : Fixtures.json("losses.json").get("losses")) if (c.get("name").asText().equals(name)) return c;
        throw new AssertionError(name);
    }

    static EmbeddingLoss lossFor(JsonNode c) {
        String name = c.get("name").asText();
        if (name.startsWith("cosine_similarity")) return new CosineSimilarityLoss();
        if (name.startsWith("online_contrastive")) return new OnlineContrastiveLoss(0.5);
        if (name.startsWith("contrastive")) return new ContrastiveLoss(0.5);
        JsonNode o = c.get("options");
        InfoNceOptions opts = InfoNceOptions.defaults()
                .temperature(o.path("T").asDouble(0.1))
                .useBatch(o.path("use_batch").asBoolean(true))
                .maskFakeNegative(o.path("mask_fake").asBoolean(false))
                .includeQQ(o.path("qq").asBoolean(false))
                .includeDD(o.path("dd").asBoolean(false));
        return new InfoNceLoss(opts);
    }

    static Layout layoutFor(JsonNode c) {
        if (c.has("labels")) {
            float[] y = Fixtures.floats(c.get("labels"));
            return Layout.pairs(y);
        }
        JsonNode g = c.get("group_negatives");
        int[] k = new int[g.size()];
        for (int i = 0; i < k.length; i++) k[i] = g.get(i).asInt();
        return Layout.groups(k);
    }

    static double[][] doubles(JsonNode m) {
        double[][] out = new double[m.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[m.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = m.get(i).get(j).asDouble();
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lossAndGradientMatch(String name) {
        JsonNode c = find(name);
        double[][] raw = doubles(c.get("raw_embeddings"));
        double[][] grad = doubles(c.get("grad_raw"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(raw).toType(DataType.FLOAT64, false);
            x.setRequiresGradient(true);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = lossFor(c).compute(Pooling.l2(x), layoutFor(c));
                gc.backward(l);
                loss = l.getDouble();
            }
            double want = c.get("loss").asDouble();
            assertEquals(want, loss, Math.abs(want) * 1e-6 + 1e-12, name + " loss");
            double[] g = x.getGradient().toDoubleArray();
            int d = raw[0].length;
            double worst = 0;
            for (int i = 0; i < raw.length; i++)
                for (int j = 0; j < d; j++) worst = Math.max(worst, Math.abs(g[i * d + j] - grad[i][j]));
            assertTrue(worst < 1e-5, name + " gradient differs by " + worst);
        }
    }
}
