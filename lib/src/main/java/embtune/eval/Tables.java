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
        Table t = Table.create("cosine similarity", StringColumn.create("text", texts.stream().map(Tables::shorten).toList()));
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

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
