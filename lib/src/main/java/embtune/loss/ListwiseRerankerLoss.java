package embtune.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * Per query group {@code [positive, negatives...]}: {@code -log softmax(s / T)[0]}, averaged over
 * the groups. The model learns to put the positive first among its own candidates, not to
 * calibrate a score. ms-swift's {@code listwise_reranker}: a group runs from one label 1 to the
 * next, rows before the first positive belong to no group, and groups smaller than
 * {@code minGroupSize} are skipped (a lone positive has nothing to rank against). With no group
 * left the loss is 0, still attached to the scores so backward runs. Fixture: reranker.json
 * "listwise*".
 */
public final class ListwiseRerankerLoss implements RerankerLoss {
    private final double temperature;
    private final int minGroupSize;

    public ListwiseRerankerLoss(double temperature, int minGroupSize) {
        if (!(temperature > 0)) throw new IllegalArgumentException("LISTWISE_RERANKER_TEMPERATURE must be > 0, got " + temperature);
        this.temperature = temperature;
        this.minGroupSize = minGroupSize;
    }

    public ListwiseRerankerLoss() {
        this(1.0, 2);
    }

    /** [start, end) of each group: from each label 1 to the next one (or the end). */
    public static List<int[]> groups(float[] labels) {
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) if (labels[i] == 1f) starts.add(i);
        List<int[]> out = new ArrayList<>();
        for (int k = 0; k < starts.size(); k++)
            out.add(new int[] {starts.get(k), k + 1 < starts.size() ? starts.get(k + 1) : labels.length});
        return out;
    }

    @Override
    public NDArray compute(NDArray s, float[] labels) {
        NDArray total = null;
        int counted = 0;
        for (int[] g : groups(labels)) {
            if (g[1] - g[0] < minGroupSize) continue;
            NDArray logits = s.get(new NDIndex(g[0] + ":" + g[1])).div(temperature);
            NDArray ce = logits.logSoftmax(0).get(0).neg();
            total = total == null ? ce : total.add(ce);
            counted++;
        }
        return total == null ? s.sum().mul(0) : total.div(counted);
    }

    @Override
    public String toString() {
        return "listwise_reranker: mean over groups of -log softmax(score / " + temperature + ")[positive], groups >= " + minGroupSize;
    }
}
