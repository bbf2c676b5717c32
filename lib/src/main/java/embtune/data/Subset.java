package embtune.data;

import java.util.Locale;

/**
 * Named views of a data set, as ms-swift registers them for {@code sentence-transformers/stsb}:
 * {@code default} keeps every row; {@code positive} keeps pairs scored at least 0.75 (on the 0–1
 * scale), the InfoNCE view of a scored set.
 */
enum Subset {
    DEFAULT, POSITIVE;

    static final float POSITIVE_THRESHOLD = 0.75f;

    static Subset parse(String name, String dataName) {
        if (name == null) return DEFAULT;
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dataName + ": unknown subset '" + name + "'; known: default, positive");
        }
    }

    boolean keeps(Record r, String file, long line) {
        if (this == DEFAULT) return true;
        if (r.label() == null)
            throw new DataError(file, line, "label", "subset 'positive' keeps rows scored >= 0.75, but this row has no score");
        return r.label() >= POSITIVE_THRESHOLD;
    }
}
