package embtune.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which CSV/TSV columns hold the anchor, positive, label and negatives, by header name or by
 * 0-based index ("5"). {@code labelScale} divides the label, e.g. 5 for STS scores 0–5.
 * Parse from a flag: {@code "sentence1,sentence2,score"} or
 * {@code "anchor=q,positive=p,label=score,negatives=n1;n2,scale=5"}.
 */
public record Columns(String anchor, String positive, String label, List<String> negatives, double labelScale) {
    private static final List<String> ANCHORS = List.of("anchor", "query", "sentence1", "sentence_a", "text1", "question", "premise");
    private static final List<String> POSITIVES = List.of("positive", "response", "sentence2", "sentence_b", "text2", "answer", "hypothesis", "pos");
    private static final List<String> LABELS = List.of("label", "score", "similarity");

    public Columns {
        negatives = negatives == null ? List.of() : List.copyOf(negatives);
        if (labelScale <= 0) throw new IllegalArgumentException("label scale must be positive: " + labelScale);
    }

    public static Columns of(String anchor, String positive, String label) {
        return new Columns(anchor, positive, label, List.of(), 1);
    }

    public Columns scale(double s) {
        return new Columns(anchor, positive, label, negatives, s);
    }

    public static Columns parse(String spec) {
        String[] parts = spec.split(",");
        if (parts.length > 0 && !parts[0].contains("=")) {
            if (parts.length < 2 || parts.length > 3)
                throw new IllegalArgumentException("columns '" + spec + "': give anchor,positive[,label]");
            return of(parts[0].trim(), parts[1].trim(), parts.length == 3 ? parts[2].trim() : null);
        }
        String a = null, p = null, l = null;
        List<String> n = new ArrayList<>();
        double s = 1;
        for (String part : parts) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("columns '" + spec + "': '" + part + "' is not key=value");
            String v = kv[1].trim();
            switch (kv[0].trim().toLowerCase(Locale.ROOT)) {
                case "anchor" -> a = v;
                case "positive" -> p = v;
                case "label" -> l = v;
                case "negatives" -> n.addAll(List.of(v.split(";")));
                case "scale" -> s = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("columns '" + spec + "': unknown key '" + kv[0] + "'");
            }
        }
        if (a == null || p == null) throw new IllegalArgumentException("columns '" + spec + "': anchor and positive are required");
        return new Columns(a, p, l, n, s);
    }

    /** Guess the mapping from a header row; null when anchor or positive cannot be found. */
    static Columns guess(List<String> header) {
        String a = find(header, ANCHORS), p = find(header, POSITIVES), l = find(header, LABELS);
        if (a == null || p == null) return null;
        List<String> negs = new ArrayList<>();
        for (String h : header) {
            String k = h.toLowerCase(Locale.ROOT);
            if (k.startsWith("negative") || k.startsWith("neg_") || k.equals("neg")) negs.add(h);
        }
        return new Columns(a, p, l, negs, 1);
    }

    private static String find(List<String> header, List<String> names) {
        for (String n : names)
            for (String h : header) if (h.trim().equalsIgnoreCase(n)) return h;
        return null;
    }
}
