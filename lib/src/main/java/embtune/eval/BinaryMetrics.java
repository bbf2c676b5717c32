package embtune.eval;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * For pairs labelled 0/1, how well a cosine threshold separates them (sentence-transformers'
 * BinaryClassificationEvaluator): best accuracy and its threshold, best F1 (with precision,
 * recall, threshold), and average precision (sklearn's: sum over thresholds of
 * (R_n - R_{n-1}) P_n). Thresholds sit halfway between neighbouring scores.
 */
public final class BinaryMetrics {
    private BinaryMetrics() {}

    public static Map<String, Double> compute(double[] scores, float[] labels) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]));
        int positives = 0;
        for (float l : labels) if (l == 1f) positives++;

        double bestAcc = 0, accThr = -1, bestF1 = 0, f1Thr = -1, bestP = 0, bestR = 0;
        int posSoFar = 0, remainingNeg = n - positives, taken = 0;
        for (int k = 0; k < n - 1; k++) {
            int i = order[k];
            taken++;
            if (labels[i] == 1f) posSoFar++;
            else remainingNeg--;
            double threshold = (scores[i] + scores[order[k + 1]]) / 2;
            double acc = (double) (posSoFar + remainingNeg) / n;
            if (acc > bestAcc) { bestAcc = acc; accThr = threshold; }
            if (posSoFar > 0) {
                double p = (double) posSoFar / taken, r = (double) posSoFar / positives, f1 = 2 * p * r / (p + r);
                if (f1 > bestF1) { bestF1 = f1; bestP = p; bestR = r; f1Thr = threshold; }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", bestAcc);
        m.put("accuracy_threshold", accThr);
        m.put("f1", bestF1);
        m.put("f1_threshold", f1Thr);
        m.put("precision", bestP);
        m.put("recall", bestR);
        m.put("ap", averagePrecision(scores, labels, order, positives));
        return m;
    }

    /** Tied scores form one threshold, as in sklearn. */
    static double averagePrecision(double[] scores, float[] labels, Integer[] descending, int positives) {
        if (positives == 0) return Double.NaN;
        double ap = 0, prevRecall = 0;
        int tp = 0, taken = 0;
        for (int k = 0; k < descending.length; k++) {
            int i = descending[k];
            taken++;
            if (labels[i] == 1f) tp++;
            boolean lastOfTie = k == descending.length - 1 || scores[descending[k + 1]] != scores[i];
            if (!lastOfTie) continue;
            double recall = (double) tp / positives, precision = (double) tp / taken;
            ap += (recall - prevRecall) * precision;
            prevRecall = recall;
        }
        return ap;
    }
}
