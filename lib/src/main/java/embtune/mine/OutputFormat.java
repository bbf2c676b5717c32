package embtune.mine;

import java.util.Locale;

/**
 * sentence-transformers' output formats, written as ms-swift rows.
 * <ul>
 *   <li>{@code triplet}: one row per negative, {@code {"query", "response", "rejected_response": [n]}};
 *   <li>{@code n-tuple}: one row per (query, positive) with all {@code num_negatives} negatives in
 *       {@code rejected_response}; rows that found fewer are left out;
 *   <li>{@code labeled-pair}: {@code {"query", "response", "label"}} rows, 1 for each positive, 0 for each negative;
 *   <li>{@code labeled-list}: one row per (query, positive) with every negative found (at least one).
 * </ul>
 * {@code output_scores} adds {@code "scores": [positive, negatives...]} ({@code "score"} on a
 * labeled pair, next to its label: ms-swift labels must lie in [0, 1], cosine scores need not).
 */
public enum OutputFormat {
    TRIPLET("triplet"), N_TUPLE("n-tuple"), LABELED_PAIR("labeled-pair"), LABELED_LIST("labeled-list");

    public final String id;

    OutputFormat(String id) {
        this.id = id;
    }

    public static OutputFormat parse(String s) {
        String v = s.toLowerCase(Locale.ROOT).replace('_', '-');
        for (OutputFormat f : values()) if (f.id.equals(v)) return f;
        throw new IllegalArgumentException("output_format must be triplet, n-tuple, labeled-pair or labeled-list, not '" + s + "'");
    }

    @Override
    public String toString() {
        return id;
    }
}
