package embtune.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compact column store behind {@link Dataset}: each record is a run of consecutive texts in a
 * {@link TextPool} (anchor, positive, negatives...), plus its negative count, its label (NaN when
 * absent) and the source line it came from (for error messages after loading).
 */
final class RecordStore {
    private final TextPool texts = new TextPool();
    private int[] first = new int[1024];
    private int[] negatives = new int[1024];
    private float[] labels = new float[1024];
    private long[] lines = new long[1024];
    private int size;

    void add(Record r, long line) {
        if (size == first.length) grow();
        first[size] = texts.add(r.anchor());
        texts.add(r.positive());
        for (String n : r.negatives()) texts.add(n);
        negatives[size] = r.negatives().size();
        labels[size] = r.label() == null ? Float.NaN : r.label();
        lines[size] = line;
        size++;
    }

    private void grow() {
        int n = first.length * 2;
        first = Arrays.copyOf(first, n);
        negatives = Arrays.copyOf(negatives, n);
        labels = Arrays.copyOf(labels, n);
        lines = Arrays.copyOf(lines, n);
    }

    Record get(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i);
        int f = first[i];
        List<String> negs = new ArrayList<>(negatives[i]);
        for (int k = 0; k < negatives[i]; k++) negs.add(texts.get(f + 2 + k));
        float label = labels[i];
        return new Record(texts.get(f), texts.get(f + 1), negs, Float.isNaN(label) ? null : label);
    }

    float label(int i) { return labels[i]; }
    int negativeCount(int i) { return negatives[i]; }
    long line(int i) { return lines[i]; }
    int size() { return size; }
    long bytes() { return texts.bytes() + first.length * 20L; }
}
