package embtune.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.Map;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.Table;

/**
 * Writes what a person opens after a run: {@code training.csv}, {@code metrics.csv},
 * {@code loss.png} (+ lr.png, eval.png, similarity.png when there is data for them) and a
 * self-contained {@code report.html} (images inlined as base64: it opens offline).
 */
public final class Report {
    private Report() {}

    /** @param scatter gold and predicted similarities of the eval pairs, or null */
    public static Path write(Path runDir, double[][] scatter) {
        History h = History.read(runDir);
        Table training = h.training(), eval = h.evaluation();
        Map<String, XYChart> charts = new LinkedHashMap<>();
        charts.put("loss.png", Plots.loss(h));
        charts.put("lr.png", Plots.learningRate(h));
        if (eval.rowCount() > 0 && eval.columnCount() > 2) charts.put("eval.png", Plots.evalMetrics(h));
        if (scatter != null) charts.put("similarity.png", Plots.similarityScatter(scatter[0], scatter[1]));
        try {
            training.write().csv(runDir.resolve("training.csv").toFile());
            if (eval.rowCount() > 0) eval.write().csv(runDir.resolve("metrics.csv").toFile());
            StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>embtune run ")
                    .append(esc(runDir.getFileName().toString())).append("</title><style>")
                    .append("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}")
                    .append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}pre{background:#f6f6f6;padding:1em}")
                    .append("img{max-width:100%}table.summary td{text-align:left}</style></head><body>");
            html.append("<h1>embtune run ").append(esc(runDir.getFileName().toString())).append("</h1>");
            html.append(summary(runDir, h));
            if (eval.rowCount() > 0) html.append("<h2>Final evaluation</h2>").append(htmlTable(eval.last(1)));
            html.append("<h2>Plots</h2>");
            for (var c : charts.entrySet()) {
                byte[] png = Plots.png(c.getValue());
                Files.write(runDir.resolve(c.getKey()), png);
                html.append("<img alt=\"").append(c.getKey()).append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(png)).append("\"><br>");
            }
            if (eval.rowCount() > 0) html.append("<h2>Evaluation per step</h2>").append(htmlTable(eval));
            html.append("<h2>Training log</h2>").append(htmlTable(training));
            Path args = runDir.resolve("args.json");
            if (Files.exists(args)) html.append("<h2>Configuration (args.json)</h2><pre>").append(esc(Files.readString(args))).append("</pre>");
            html.append("</body></html>\n");
            Path tmp = runDir.resolve("report.html.tmp");
            Files.writeString(tmp, html, StandardCharsets.UTF_8);
            Files.move(tmp, runDir.resolve("report.html"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return runDir.resolve("report.html");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report in " + runDir, e);
        }
    }

    /**
     * What a person wants first: model, data, loss, steps, wall time, and how the held-out
     * metrics moved from the first evaluation to the last.
     */
    static String summary(Path runDir, History h) throws IOException {
        Map<String, String> rows = new LinkedHashMap<>();
        Path argsFile = runDir.resolve("args.json");
        if (Files.exists(argsFile)) {
            var args = new com.fasterxml.jackson.databind.ObjectMapper().readTree(argsFile.toFile());
            rows.put("model", args.path("model").asText());
            rows.put("data", texts(args.path("dataset")));
            if (args.path("val_dataset").size() > 0) rows.put("validation", texts(args.path("val_dataset")));
            rows.put("loss", args.path("loss_type").asText() + ", " + args.path("train_type").asText() + " fine-tuning");
            rows.put("learning rate", number(args.path("learning_rate").asDouble()) + " (" + args.path("lr_scheduler_type").asText() + ")");
        }
        Table t = h.training();
        if (t.rowCount() > 0) {
            rows.put("steps", t.column("step").getString(t.rowCount() - 1));
            h.events().stream().filter(e -> e.get("elapsed_s") instanceof Number).reduce((a, b) -> b)
                    .ifPresent(e -> rows.put("wall time", String.format(Locale.ROOT, "%.0f s", ((Number) e.get("elapsed_s")).doubleValue())));
        }
        StringBuilder sb = new StringBuilder("<h2>Summary</h2><table class=\"summary\">");
        rows.forEach((k, v) -> sb.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>"));
        sb.append("</table>");
        Table e = h.evaluation();
        if (e.rowCount() >= 2) {
            sb.append("<h3>Evaluation, step ").append(e.column("step").getString(0)).append(" &rarr; ")
                    .append(e.column("step").getString(e.rowCount() - 1)).append("</h3><table><tr><th>metric</th><th>first</th><th>last</th></tr>");
            for (String c : e.columnNames()) {
                if (!c.startsWith("eval_") || !(e.column(c).get(0) instanceof Number a) || !(e.column(c).get(e.rowCount() - 1) instanceof Number b)) continue;
                sb.append("<tr><th>").append(esc(c.substring(5))).append("</th><td>").append(number(a.doubleValue()))
                        .append("</td><td>").append(number(b.doubleValue())).append("</td></tr>");
            }
            sb.append("</table>");
        }
        return sb.toString();
    }

    private static String texts(com.fasterxml.jackson.databind.JsonNode list) {
        List<String> out = new java.util.ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return String.join(", ", out);
    }

    /** A number as a person reads it: 4 decimals, or 3 significant digits in e-notation below 0.01 or past a million (9.95e-06). */
    static String number(double v) {
        if (Double.isNaN(v)) return "";
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return String.valueOf((long) v);
        double a = Math.abs(v);
        return a != 0 && (a < 1e-2 || a >= 1e6) ? String.format(Locale.ROOT, "%.2e", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    /** A Tablesaw table as an HTML table, numbers formatted for reading. */
    public static String htmlTable(Table t) {
        StringBuilder sb = new StringBuilder("<table><tr>");
        for (String c : t.columnNames()) sb.append("<th>").append(esc(c)).append("</th>");
        sb.append("</tr>");
        for (int r = 0; r < t.rowCount(); r++) {
            sb.append("<tr>");
            for (int c = 0; c < t.columnCount(); c++) {
                Object v = t.column(c).get(r);
                String cell = v instanceof Number n && !(v instanceof Integer || v instanceof Long) ? number(n.doubleValue()) : t.column(c).getString(r);
                sb.append("<td>").append(esc(cell)).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</table>").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
