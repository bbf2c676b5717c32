package embtune.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * A run's logged events (logging.jsonl) as Tablesaw tables: one row per training log point
 * (step, epoch, loss, learning_rate, grad_norm) and one per evaluation (step, eval_*).
 */
public final class History {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Map<String, Object>> events;

    public History(List<Map<String, Object>> events) {
        this.events = events;
    }

    @SuppressWarnings("unchecked")
    public static History read(Path runDir) {
        List<Map<String, Object>> events = new ArrayList<>();
        Path log = runDir.resolve("logging.jsonl");
        try {
            for (String line : Files.readAllLines(log)) if (!line.isBlank()) events.add(JSON.readValue(line, LinkedHashMap.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
        return new History(events);
    }

    public List<Map<String, Object>> events() {
        return events;
    }

    /** step, epoch, loss, learning_rate, grad_norm, it_per_s per training log point. */
    public Table training() {
        return table("training", List.of("epoch", "loss", "learning_rate", "grad_norm", "it_per_s"), e -> e.containsKey("loss"));
    }

    /** step plus every eval_* value per evaluation. */
    public Table evaluation() {
        Set<String> keys = new LinkedHashSet<>();
        for (Map<String, Object> e : events) if (isEval(e)) e.keySet().stream().filter(k -> k.startsWith("eval_")).forEach(keys::add);
        return table("evaluation", new ArrayList<>(keys), History::isEval);
    }

    static boolean isEval(Map<String, Object> e) {
        return e.containsKey("eval_loss");
    }

    private Table table(String name, List<String> columns, java.util.function.Predicate<Map<String, Object>> keep) {
        Table t = Table.create(name, IntColumn.create("step"));
        for (String c : columns) {
            DoubleColumn col = DoubleColumn.create(c);
            col.setPrintFormatter(c.equals("learning_rate") ? NumberColumnFormatter.standard() : NumberColumnFormatter.fixedWithGrouping(4));
            t.addColumns(col);
        }
        for (Map<String, Object> e : events) {
            if (!keep.test(e)) continue;
            t.intColumn("step").append(((Number) e.get("step")).intValue());
            for (String c : columns) {
                Object v = e.get(c);
                if (v instanceof Number n) t.doubleColumn(c).append(n.doubleValue());
                else t.doubleColumn(c).appendMissing();
            }
        }
        return t;
    }

    /** A column of a table as x/y arrays without missing values. */
    static double[][] series(Table t, String y) {
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        if (!t.columnNames().contains(y)) return new double[][] {{}, {}};
        for (int i = 0; i < t.rowCount(); i++) {
            if (t.doubleColumn(y).isMissing(i)) continue;
            xs.add((double) t.intColumn("step").get(i));
            ys.add(t.doubleColumn(y).get(i));
        }
        return new double[][] {xs.stream().mapToDouble(Double::doubleValue).toArray(), ys.stream().mapToDouble(Double::doubleValue).toArray()};
    }
}
