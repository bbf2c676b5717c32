package embtune.eval;

import embtune.loss.InfoNceLoss;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * ms-swift's "infonce" evaluation on groups [q, p, n...]: the raw cosine of each query with
 * every document of the whole eval set (use_batch) or with its own [p, n...]. Then
 * <pre>
 * mean_pos = mean of the positive entries        mean_neg = mean of every other entry (pooled)
 * margin   = mean over queries of (positive - best other document)
 * </pre>
 * Keys in ms-swift's order: margin, mean_neg, mean_pos. Own-negatives mode needs a negative in
 * every group (ms-swift fails on an empty max too).
 */
public final class InfoNceMetrics {
    private InfoNceMetrics() {}

    public static Map<String, Double> compute(float[][] rows, int[] groupNegatives, boolean useBatch, Integer hardNegatives) {
        InfoNceLoss.Groups g = InfoNceLoss.Groups.of(groupNegatives, hardNegatives, new Random(42));
        float[][] e = Vectors.normalized(rows);
        double posSum = 0, negSum = 0, marginSum = 0;
        long negCount = 0;
        long[] all = g.allDocs(), cols = g.positiveColumns();
        for (int q = 0; q < g.size(); q++) {
            float[] query = e[(int) g.queries()[q]];
            long[] docs = useBatch ? all : g.docs()[q];
            int positive = useBatch ? (int) cols[q] : 0;
            if (docs.length < 2)
                throw new IllegalArgumentException("group " + q + " has nothing to compare the positive with; "
                        + "own-negatives metrics need at least one negative per group");
            double pos = Vectors.dot(query, e[(int) docs[positive]]), best = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < docs.length; j++) {
                if (j == positive) continue;
                double s = Vectors.dot(query, e[(int) docs[j]]);
                negSum += s;
                negCount++;
                best = Math.max(best, s);
            }
            posSum += pos;
            marginSum += pos - best;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("margin", marginSum / g.size());
        m.put("mean_neg", negSum / negCount);
        m.put("mean_pos", posSum / g.size());
        return m;
    }
}
