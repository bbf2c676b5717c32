package embtune.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
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
                    .append("img{max-width:100%}</style></head><body>");
            html.append("<h1>embtune run ").append(esc(runDir.getFileName().toString())).append("</h1>");
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

    /** A Tablesaw table as an HTML table (numbers as the table prints them). */
    public static String htmlTable(Table t) {
        StringBuilder sb = new StringBuilder("<table><tr>");
        for (String c : t.columnNames()) sb.append("<th>").append(esc(c)).append("</th>");
        sb.append("</tr>");
        for (int r = 0; r < t.rowCount(); r++) {
            sb.append("<tr>");
            for (int c = 0; c < t.columnCount(); c++) sb.append("<td>").append(esc(t.column(c).getString(r))).append("</td>");
            sb.append("</tr>");
        }
        return sb.append("</table>").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
