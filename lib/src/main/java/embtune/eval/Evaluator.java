package embtune.eval;

import embtune.data.DataKind;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.loss.InfoNceOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Metrics of a model on an evaluation set, chosen as ms-swift chooses them: InfoNCE metrics
 * (margin, mean_neg, mean_pos) when training with infonce, else the 8 paired correlations;
 * 0/1-labelled pairs also get threshold metrics (cosine_accuracy, cosine_f1, cosine_ap...).
 * Embeddings are computed once over the whole set, as ms-swift gathers them.
 */
public final class Evaluator {
    private Evaluator() {}

    /**
     * @param embed  texts -> embeddings (model.embed, with the model's batching)
     * @param infonce whether the run's loss is infonce (then its options decide in-batch vs own negatives)
     */
    /**
     * The evaluation set as a small retrieval task: each anchor searches every positive and
     * negative of the set, and its own positive is the one relevant document. MRR@10 and
     * accuracy@1 read more plainly than a margin.
     */
    static Map<String, Double> retrievalWithin(float[][] rows, int[] negatives) {
        List<float[]> queries = new ArrayList<>(), docs = new ArrayList<>();
        List<java.util.Set<Integer>> relevant = new ArrayList<>();
        int at = 0;
        for (int k : negatives) {
            queries.add(rows[at]);
            relevant.add(java.util.Set.of(docs.size()));
            for (int j = 1; j <= k + 1; j++) docs.add(rows[at + j]);
            at += k + 2;
        }
        Map<String, Double> all = RetrievalMetrics.compute(queries.toArray(float[][]::new), docs.toArray(float[][]::new), relevant);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mrr@10", all.get("mrr@10"));
        m.put("accuracy@1", all.get("accuracy@1"));
        return m;
    }

    public static Map<String, Double> evaluate(Function<List<String>, float[][]> embed, Dataset data, boolean infonce,
                                               InfoNceOptions options) {
        List<String> texts = new ArrayList<>();
        Map<String, Double> m = new LinkedHashMap<>();
        if (infonce) {
            int[] negatives = new int[data.size()];
            for (int i = 0; i < data.size(); i++) {
                Record r = data.get(i);
                texts.add(r.anchor());
                texts.add(r.positive());
                texts.addAll(r.negatives());
                negatives[i] = r.negatives().size();
            }
            float[][] rows = embed.apply(texts);
            m.putAll(InfoNceMetrics.compute(rows, negatives, options.useBatch(), options.hardNegatives()));
            m.putAll(retrievalWithin(rows, negatives));
            return m;
        }
        float[] labels = new float[data.size()];
        for (int i = 0; i < data.size(); i++) {
            Record r = data.get(i);
            texts.add(r.anchor());
            texts.add(r.positive());
            labels[i] = r.labelOrOne();
        }
        float[][] rows = embed.apply(texts);
        m.putAll(PairedMetrics.compute(rows, labels));
        if (data.kind() == DataKind.BINARY_LABELS) {
            double[] cos = new double[labels.length];
            for (int i = 0; i < labels.length; i++) cos[i] = Vectors.cosine(rows[2 * i], rows[2 * i + 1]);
            BinaryMetrics.compute(cos, labels).forEach((k, v) -> m.put("cosine_" + k, v));
        }
        return m;
    }
}
