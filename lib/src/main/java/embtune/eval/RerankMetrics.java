package embtune.eval;

import embtune.loss.ListwiseRerankerLoss;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ms-swift's reranker metrics over query groups laid out as {@code [positive, negatives...]}
 * (labels 1, 0, 0, ...; a group runs from one label 1 to the next), averaged over the groups:
 * <pre>
 * MRR@k  = 1 / rank of the positive among its group's scores (0 past rank k)
 * NDCG@k = DCG(top k) / DCG(ideal), DCG = sum (2^rel - 1) / log2(rank + 1)
 * </pre>
 * Groups of one row rank nothing and are skipped. Ties keep the group's order (a stable sort),
 * as numpy's argsort does on groups this small. With k at least the group size these are
 * ms-swift's {@code mrr} and {@code ndcg}. Fixture: reranker.json "metrics".
 */
public final class RerankMetrics {
    private RerankMetrics() {}

    public static Map<String, Double> compute(float[] scores, float[] labels, int k) {
        if (scores.length != labels.length) throw new IllegalArgumentException(scores.length + " scores for " + labels.length + " labels");
        double mrr = 0, ndcg = 0;
        int counted = 0;
        for (int[] g : ListwiseRerankerLoss.groups(labels)) {
            if (g[1] - g[0] < 2) continue;
            Integer[] order = rank(scores, g[0], g[1]);
            int positiveRank = Arrays.asList(order).indexOf(0) + 1;
            mrr += positiveRank <= k ? 1.0 / positiveRank : 0;
            double dcg = 0, ideal = 0;
            float[] rel = Arrays.copyOfRange(labels, g[0], g[1]);
            for (int r = 0; r < Math.min(k, order.length); r++) dcg += gain(rel[order[r]], r);
            float[] best = rel.clone();
            Arrays.sort(best);
            for (int r = 0; r < Math.min(k, best.length); r++) ideal += gain(best[best.length - 1 - r], r);
            ndcg += ideal == 0 ? 0 : dcg / ideal;
            counted++;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("mrr@" + k, counted == 0 ? 0 : mrr / counted);
        out.put("ndcg@" + k, counted == 0 ? 0 : ndcg / counted);
        return out;
    }

    public static Map<String, Double> compute(float[] scores, float[] labels) {
        return compute(scores, labels, 10);
    }

    /** Positions 0..n-1 of scores[from, to) by score, highest first, ties in order. */
    static Integer[] rank(float[] scores, int from, int to) {
        Integer[] order = new Integer[to - from];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[from + i]));
        return order;
    }

    private static double gain(double relevance, int rank) {
        return (Math.pow(2, relevance) - 1) / (Math.log(rank + 2) / Math.log(2));
    }
}
