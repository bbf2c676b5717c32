package embtune.eval;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetricsTest {
    static final JsonNode M = Fixtures.json("losses.json").get("metrics");

    static void same(JsonNode want, Map<String, Double> got) {
        assertEquals(java.util.stream.StreamSupport.stream(((Iterable<String>) want::fieldNames).spliterator(), false).toList(),
                List.copyOf(got.keySet()), "names and order");
        want.fields().forEachRemaining(e -> assertEquals(e.getValue().asDouble(), got.get(e.getKey()), 1e-6, e.getKey()));
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void pairedMetricsMatchTheFixture() {
        JsonNode p = M.get("paired");
        float[][] rows = Vectors.normalized(Fixtures.matrix(p.get("raw_embeddings")));
        same(p.get("expected"), PairedMetrics.compute(rows, Fixtures.floats(p.get("labels"))));
    }

    @Test
    void infonceMetricsMatchTheFixture() {
        for (String c : List.of("infonce", "infonce_equal")) {
            JsonNode f = M.get(c);
            float[][] rows = Fixtures.matrix(f.get("raw_embeddings"));
            int[] groups = ints(f.get("group_negatives"));
            same(f.get("expected_use_batch"), InfoNceMetrics.compute(rows, groups, true, null));
            if (f.get("expected_own_negatives").isObject())
                same(f.get("expected_own_negatives"), InfoNceMetrics.compute(rows, groups, false, null));
            else
                assertThrows(IllegalArgumentException.class, () -> InfoNceMetrics.compute(rows, groups, false, null),
                        "a group without negatives has no own-negative margin");
        }
    }

    @Test
    void referenceVectors() {
        float[][] g = {{1, 0, 0}, {0.9f, 0.1f, 0}, {0.2f, 1, 0}, {0, 1, 0}, {0.6f, 0.6f, 0.5f}, {0.95f, 0.3f, 0}};
        var m = InfoNceMetrics.compute(g, new int[] {1, 1}, true, null);
        assertEquals(-0.165536, m.get("margin"), 1e-6);
        assertEquals(0.525175, m.get("mean_neg"), 1e-6);
        assertEquals(0.801546, m.get("mean_pos"), 1e-6);
        // cos = [0.7, 0.8, 0.95, 0.1], scores [0.9, 0.1, 0.7, 0.0]
        double[] cos = {0.7, 0.8, 0.95, 0.1};
        float[][] rows = new float[8][];
        for (int i = 0; i < 4; i++) {
            rows[2 * i] = new float[] {1, 0, 0};
            rows[2 * i + 1] = new float[] {(float) cos[i], (float) Math.sqrt(1 - cos[i] * cos[i]), 0};
        }
        var p = PairedMetrics.compute(rows, new float[] {0.9f, 0.1f, 0.7f, 0f});
        assertEquals(0.588517, p.get("pearson_cosine"), 1e-5);
        assertEquals(0.4, p.get("spearman_cosine"), 1e-9);
        assertEquals(0.563636, p.get("pearson_euclidean"), 1e-5);
        assertEquals(0.565585, p.get("pearson_manhattan"), 1e-5);
        assertEquals(0.4, p.get("spearman_manhattan"), 1e-9);
    }

    @Test
    void spearmanAveragesTies() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Correlation.ranks(new double[] {1, 5, 5, 9}));
        assertEquals(1.0, Correlation.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
        assertEquals(-1.0, Correlation.pearson(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
    }

    @Test
    void binaryThresholdsAndAveragePrecision() {
        // scores sorted: 0.9(1) 0.8(1) 0.6(0) 0.4(1) 0.2(0)
        var m = BinaryMetrics.compute(new double[] {0.9, 0.2, 0.8, 0.4, 0.6}, new float[] {1, 0, 1, 1, 0});
        assertEquals(0.8, m.get("accuracy"), 1e-12);            // cut after 0.8 (4/5) or after 0.4 (4/5): first kept
        assertEquals(0.7, m.get("accuracy_threshold"), 1e-12);
        assertEquals(6.0 / 7, m.get("f1"), 1e-12);              // top 4: p 3/4, r 1 -> 6/7
        assertEquals(0.3, m.get("f1_threshold"), 1e-12);
        assertEquals((1.0 / 3) * 1 + (1.0 / 3) * 1 + (1.0 / 3) * 0.75, m.get("ap"), 1e-12);
    }

    @Test
    void retrievalRanksByCosine() {
        float[][] docs = {{1, 0}, {0, 1}, {0.7f, 0.7f}};
        float[][] queries = {{1, 0.1f}, {0.1f, 1}, {1, 1}};
        // q0: d0 > d2 > d1, relevant d2 (rank 2); q1: d1 > d2 > d0, relevant d1 (rank 1); q2 has none (dropped)
        var m = RetrievalMetrics.compute(queries, docs, List.of(Set.of(2), Set.of(1), Set.of()));
        assertEquals(0.5, m.get("accuracy@1"), 1e-12);
        assertEquals(1.0, m.get("accuracy@3"), 1e-12);
        assertEquals((0.5 + 1) / 2, m.get("mrr@10"), 1e-12);
        assertEquals((1 / (Math.log(3) / Math.log(2)) + 1) / 2, m.get("ndcg@10"), 1e-12);
        assertEquals((1.0 / 3 + 1.0 / 3) / 2, m.get("precision@3"), 1e-12);
        assertEquals((0.5 + 1) / 2, m.get("map@100"), 1e-12);
        assertEquals(1.0, m.get("recall@10"), 1e-12);
    }

    @Test
    void theInfonceSetAsASearch() {
        // group 0: q0 = e1, its positive e1, a negative e2; group 1: q1 = e2, its positive 0.6e1 + 0.8e2, no negative
        float[][] rows = {{1, 0}, {1, 0}, {0, 1}, {0, 1}, {0.6f, 0.8f}};
        Map<String, Double> m = Evaluator.retrievalWithin(rows, new int[] {1, 0});
        // q0 ranks its positive first; q1 ranks the negative e2 (cos 1) above its positive (cos 0.8): rank 2
        assertEquals(0.75, m.get("mrr@10"), 1e-9);
        assertEquals(0.5, m.get("accuracy@1"), 1e-9);
    }
}
