package embtune.eval;

import embtune.model.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/** Tablesaw tables of embeddings and metrics, for notebooks, JShell and the commands alike. */
public final class Tables {
    private Tables() {}

    /** Pairwise cosine similarities of the texts' vectors, one column per text. */
    public static Table similarity(List<String> texts, float[][] vectors) {
        Table t = Table.create("cosine similarity", StringColumn.create("text", texts.stream().map(embtune.vision.ImageText::display).map(Tables::shorten).toList()));
        for (int j = 0; j < vectors.length; j++) {
            DoubleColumn c = DoubleColumn.create("[" + j + "]");
            for (float[] row : vectors) c.append(Embedder.cosine(row, vectors[j]));
            c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(3));
            t.addColumns(c);
        }
        return t;
    }

    /** Metrics side by side: a row per metric, a column per model (missing where a model lacks one). */
    public static Table metrics(String title, Map<String, Map<String, Double>> byModel) {
        List<String> metrics = new ArrayList<>();
        byModel.values().forEach(m -> m.keySet().forEach(k -> { if (!metrics.contains(k)) metrics.add(k); }));
        Table t = Table.create(title, StringColumn.create("metric", metrics));
        byModel.forEach((model, m) -> {
            DoubleColumn c = DoubleColumn.create(model);
            for (String k : metrics) {
                Double v = m.get(k);
                if (v == null) c.appendMissing();
                else c.append(v);
            }
            c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
            t.addColumns(c);
        });
        return t;
    }

    /** At most 40 terminal columns of a text (a CJK character takes two), "..." where it was cut. */
    static String shorten(String s) {
        if (width(s) <= 40) return s;
        StringBuilder sb = new StringBuilder();
        int w = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i), cw = width(cp);
            if (w + cw > 37) break;
            sb.appendCodePoint(cp);
            w += cw;
            i += Character.charCount(cp);
        }
        return sb.append("...").toString();
    }

    /**
     * A table as text for a terminal, columns aligned by display width: CJK ideographs, kana,
     * hangul and fullwidth forms take two columns (Tablesaw pads by characters, which misaligns them).
     */
    public static String text(Table t) {
        int cols = t.columnCount();
        int[] w = new int[cols];
        java.util.List<String[]> rows = new ArrayList<>();
        String[] header = t.columnNames().toArray(String[]::new);
        for (int r = -1; r < t.rowCount(); r++) {
            String[] cells = new String[cols];
            for (int c = 0; c < cols; c++) {
                cells[c] = r < 0 ? header[c] : t.column(c).getString(r);
                w[c] = Math.max(w[c], width(cells[c]));
            }
            rows.add(cells);
        }
        StringBuilder sb = new StringBuilder(t.name()).append('\n');
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < cols; c++) {
                String cell = rows.get(r)[c];
                String pad = " ".repeat(w[c] - width(cell));
                boolean left = t.column(c) instanceof StringColumn;
                sb.append(c == 0 ? "" : " | ").append(left ? cell + pad : pad + cell);
            }
            sb.append('\n');
            if (r == 0) {
                for (int c = 0; c < cols; c++) sb.append(c == 0 ? "" : "-|-").append("-".repeat(w[c]));
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** Terminal columns a text takes. */
    static int width(String s) {
        return s.codePoints().map(Tables::width).sum();
    }

    private static int width(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        boolean wide = script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL
                || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6);
        return wide ? 2 : Character.getType(cp) == Character.NON_SPACING_MARK ? 0 : 1;
    }
}
