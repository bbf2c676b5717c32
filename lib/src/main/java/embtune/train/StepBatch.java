package embtune.train;

import embtune.data.Record;
import embtune.loss.Layout;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows one forward pass embeds, flattened the ms-swift way, and how the loss should read
 * them: pairs {@code [a0, p0, a1, p1, ...]} with one label each, or groups
 * {@code [a, p, n...]} with their negative counts.
 */
public record StepBatch(List<String> texts, Layout layout) {
    /** The same rows, with the generator the loss draws from for this batch. */
    public StepBatch sampling(java.util.Random r) {
        return new StepBatch(texts, layout.sampling(r));
    }

    public static StepBatch of(List<Record> records, boolean pairs) {
        List<String> texts = new ArrayList<>();
        if (pairs) {
            float[] labels = new float[records.size()];
            for (int i = 0; i < labels.length; i++) {
                Record r = records.get(i);
                texts.add(r.anchor());
                texts.add(r.positive());
                labels[i] = r.labelOrOne();
            }
            return new StepBatch(texts, Layout.pairs(labels));
        }
        int[] negatives = new int[records.size()];
        for (int i = 0; i < negatives.length; i++) {
            Record r = records.get(i);
            texts.add(r.anchor());
            texts.add(r.positive());
            texts.addAll(r.negatives());
            negatives[i] = r.negatives().size();
        }
        return new StepBatch(texts, Layout.groups(negatives));
    }
}
