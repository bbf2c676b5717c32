package embtune.data;

import java.util.List;

/**
 * One training example in the ms-swift sense: an anchor, its positive, zero or more hard
 * negatives and an optional float label (similarity score or 0/1; {@code null} when the data has
 * none, which ms-swift reads as 1.0).
 */
public record Record(String anchor, String positive, List<String> negatives, Float label) {
    public Record {
        negatives = negatives == null ? List.of() : List.copyOf(negatives);
    }

    public static Record pair(String anchor, String positive) {
        return new Record(anchor, positive, List.of(), null);
    }

    public static Record pair(String anchor, String positive, float label) {
        return new Record(anchor, positive, List.of(), label);
    }

    public static Record triplet(String anchor, String positive, String... negatives) {
        return new Record(anchor, positive, List.of(negatives), null);
    }

    /** The label as the losses see it: absent means 1.0 (ms-swift's default). */
    public float labelOrOne() {
        return label == null ? 1f : label;
    }
}
