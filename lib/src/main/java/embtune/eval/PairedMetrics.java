package embtune.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ms-swift's "paired" evaluation (and sentence-transformers' EmbeddingSimilarityEvaluator): for
 * pairs (u_i, v_i) with gold scores y_i, four similarity scores per pair — cosine, minus the
 * euclidean distance, minus the manhattan distance, dot product — each correlated with y by
 * Pearson and Spearman. Keys in ms-swift's order: pearson_cosine ... spearman_dot_product.
 */
public final class PairedMetrics {
    private PairedMetrics() {}

    /** @param rows [u0, v0, u1, v1, ...] embeddings (as the model outputs them) */
    public static Map<String, Double> compute(float[][] rows, float[] labels) {
        int n = labels.length;
        if (rows.length != 2 * n) throw new IllegalArgumentException(rows.length + " rows for " + n + " labelled pairs");
        double[] cos = new double[n], euc = new double[n], man = new double[n], dot = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            float[] u = rows[2 * i], v = rows[2 * i + 1];
            cos[i] = Vectors.cosine(u, v);
            euc[i] = -Vectors.euclidean(u, v);
            man[i] = -Vectors.manhattan(u, v);
            dot[i] = Vectors.dot(u, v);
            y[i] = labels[i];
        }
        Map<String, Double> m = new LinkedHashMap<>();
        String[] names = {"cosine", "euclidean", "manhattan", "dot_product"};
        double[][] scores = {cos, euc, man, dot};
        for (int k = 0; k < 4; k++) m.put("pearson_" + names[k], Correlation.pearson(scores[k], y));
        for (int k = 0; k < 4; k++) m.put("spearman_" + names[k], Correlation.spearman(scores[k], y));
        return m;
    }
}
