package embtune.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ranking quality for queries against a corpus (sentence-transformers'
 * InformationRetrievalEvaluator), by cosine similarity, averaged over queries:
 * <pre>
 * accuracy@k  = 1 if a relevant doc is in the top k     precision@k = relevant in top k / k
 * recall@k    = relevant in top k / |relevant|          MRR@10 = 1 / rank of the first relevant
 * NDCG@10     = DCG(top 10) / DCG(ideal), DCG = sum rel_i / log2(i + 2)
 * MAP@100     = sum over hits at rank r of (hits so far / r), divided by min(100, |relevant|)
 * </pre>
 */
public final class RetrievalMetrics {
    static final int[] KS = {1, 3, 5, 10};

    private RetrievalMetrics() {}

    /** @param relevant per query, the indices of its relevant corpus documents */
    public static Map<String, Double> compute(float[][] queries, float[][] corpus, List<Set<Integer>> relevant) {
        return fromRankings(rankings(queries, corpus), relevant);
    }

    /** Per query, the indices of its best 100 documents by cosine similarity, best first. */
    public static List<int[]> rankings(float[][] queries, float[][] corpus) {
        float[][] q = Vectors.normalized(queries), d = Vectors.normalized(corpus);
        List<int[]> out = new java.util.ArrayList<>();
        for (float[] row : q) out.add(topK(row, d, Math.min(Math.max(100, KS[KS.length - 1]), d.length)));
        return out;
    }

    /** The metrics of given rankings (per query, document indices best first), e.g. after a reranker reordered their heads. */
    public static Map<String, Double> fromRankings(List<int[]> rankings, List<Set<Integer>> relevant) {
        Map<String, Double> sum = new LinkedHashMap<>();
        for (int k : KS) { sum.put("accuracy@" + k, 0.0); sum.put("precision@" + k, 0.0); sum.put("recall@" + k, 0.0); }
        sum.put("mrr@10", 0.0);
        sum.put("ndcg@10", 0.0);
        sum.put("map@100", 0.0);
        int counted = 0;
        for (int i = 0; i < rankings.size(); i++) {
            Set<Integer> rel = relevant.get(i);
            if (rel.isEmpty()) continue; // queries without relevant documents are dropped
            counted++;
            int[] top = rankings.get(i);
            for (int k : KS) {
                int hits = 0;
                for (int r = 0; r < Math.min(k, top.length); r++) if (rel.contains(top[r])) hits++;
                add(sum, "accuracy@" + k, hits > 0 ? 1 : 0);
                add(sum, "precision@" + k, (double) hits / k);
                add(sum, "recall@" + k, (double) hits / rel.size());
            }
            for (int r = 0; r < Math.min(10, top.length); r++)
                if (rel.contains(top[r])) { add(sum, "mrr@10", 1.0 / (r + 1)); break; }
            double dcg = 0, idcg = 0;
            for (int r = 0; r < Math.min(10, top.length); r++) if (rel.contains(top[r])) dcg += 1 / log2(r + 2);
            for (int r = 0; r < Math.min(10, rel.size()); r++) idcg += 1 / log2(r + 2);
            add(sum, "ndcg@10", dcg / idcg);
            double ap = 0;
            int hits = 0;
            for (int r = 0; r < Math.min(100, top.length); r++)
                if (rel.contains(top[r])) { hits++; ap += (double) hits / (r + 1); }
            add(sum, "map@100", ap / Math.min(100, rel.size()));
        }
        final int n = counted;
        sum.replaceAll((k, v) -> v / n);
        return sum;
    }

    private static void add(Map<String, Double> m, String k, double v) {
        m.merge(k, v, Double::sum);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    /** Indices of the k best documents, best first (ties: lower index first). */
    static int[] topK(float[] query, float[][] docs, int k) {
        double[] s = new double[docs.length];
        for (int j = 0; j < docs.length; j++) s[j] = Vectors.dot(query, docs[j]);
        Integer[] idx = new Integer[docs.length];
        for (int j = 0; j < idx.length; j++) idx[j] = j;
        Arrays.sort(idx, (a, b) -> Double.compare(s[b], s[a]));
        int[] out = new int[k];
        for (int j = 0; j < k; j++) out[j] = idx[j];
        return out;
    }
}
