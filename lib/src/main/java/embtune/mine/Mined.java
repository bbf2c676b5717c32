package embtune.mine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.data.Dataset;
import embtune.data.Record;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * What a {@link Miner} found: per distinct query, its positives and the negatives the rules picked,
 * with their scores; turned into rows in any {@link OutputFormat}, a {@link Dataset} to train on,
 * or a JSONL file (written whole or not at all).
 */
public final class Mined {
    /** Throughput of the run, for the summary line. */
    public static final class Timing {
        public double documentsPerSecond, queriesEmbeddedPerSecond, queriesSearchedPerSecond, indexSeconds = -1, recall = -1;
        public int recallK, recallQueries;
    }

    /** One output row; {@code label} is set in labeled-pair rows only, {@code scores} is [positive or document, negatives...]. */
    public record Row(String query, String response, List<String> negatives, Integer label, float[] scores) {}

    private final List<String> queries, docs;
    private final List<int[]> positives;
    private final List<float[]> positiveScores;
    private final List<NegativeRules.Picked> negatives;
    private final NegativeRules rules;
    private final NegativeRules.Skipped skipped;
    private final Timing timing;

    Mined(List<String> queries, List<String> docs, List<int[]> positives, List<float[]> positiveScores,
          List<NegativeRules.Picked> negatives, NegativeRules rules, NegativeRules.Skipped skipped, Timing timing) {
        this.queries = queries;
        this.docs = docs;
        this.positives = positives;
        this.positiveScores = positiveScores;
        this.negatives = negatives;
        this.rules = rules;
        this.skipped = skipped;
        this.timing = timing;
    }

    /** Distinct queries, in first-seen order. */
    public List<String> queries() { return queries; }
    /** The candidate documents: the corpus, then the positives, each text once. */
    public List<String> documents() { return docs; }
    /** The negatives of query {@code q}, best first (ids into {@link #documents()}). */
    public NegativeRules.Picked negatives(int q) { return negatives.get(q); }
    public int[] positives(int q) { return positives.get(q); }
    public float[] positiveScores(int q) { return positiveScores.get(q); }
    public NegativeRules.Skipped skipped() { return skipped; }
    public Timing timing() { return timing; }

    /**
     * Rows in sentence-transformers' order: query by query, positive by positive. With
     * {@code include_positives} the format is n-tuple whatever is asked, as in theirs (the ranking must stay whole).
     */
    public List<Row> rows(OutputFormat format) {
        OutputFormat f = rules.includePositives() ? OutputFormat.N_TUPLE : format;
        List<Row> out = new ArrayList<>();
        for (int q = 0; q < queries.size(); q++) {
            String query = queries.get(q);
            int[] pos = positives.get(q);
            float[] ps = positiveScores.get(q);
            NegativeRules.Picked neg = negatives.get(q);
            List<String> negTexts = new ArrayList<>();
            for (int id : neg.ids()) negTexts.add(docs.get(id));
            switch (f) {
                case TRIPLET -> {
                    for (int j = 0; j < pos.length; j++)
                        for (int n = 0; n < neg.size(); n++)
                            out.add(new Row(query, docs.get(pos[j]), List.of(negTexts.get(n)), null, new float[] {ps[j], neg.scores()[n]}));
                }
                case N_TUPLE, LABELED_LIST -> {
                    boolean keep = f == OutputFormat.N_TUPLE ? neg.size() == rules.numNegatives() : neg.size() > 0;
                    if (keep) for (int j = 0; j < pos.length; j++) out.add(new Row(query, docs.get(pos[j]), negTexts, null, concat(ps[j], neg.scores())));
                }
                case LABELED_PAIR -> {
                    for (int j = 0; j < pos.length; j++) out.add(new Row(query, docs.get(pos[j]), List.of(), 1, new float[] {ps[j]}));
                    for (int n = 0; n < neg.size(); n++) out.add(new Row(query, negTexts.get(n), List.of(), 0, new float[] {neg.scores()[n]}));
                }
            }
        }
        return out;
    }

    private static float[] concat(float first, float[] rest) {
        float[] out = new float[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    /** The rows as a data set to train on: (query, positive, negatives), or 1/0-labelled pairs. */
    public Dataset dataset(OutputFormat format) {
        List<Record> records = new ArrayList<>();
        for (Row r : rows(format))
            records.add(r.label() != null ? Record.pair(r.query(), r.response(), r.label()) : new Record(r.query(), r.response(), r.negatives(), null));
        return Dataset.of("mined " + format, records);
    }

    /**
     * Writes the rows as JSONL: to a temporary file next to {@code out}, moved into place when
     * complete, so an interrupted run leaves no partial file (and an earlier {@code out} untouched).
     */
    public Path write(Path out, OutputFormat format, boolean scores) {
        ObjectMapper json = new ObjectMapper();
        Path abs = out.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".part");
        Thread cleanup = new Thread(() -> deleteQuietly(tmp)); // Ctrl-C while writing: no .part left behind
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            Files.createDirectories(abs.getParent());
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Row r : rows(format)) {
                    ObjectNode o = json.createObjectNode();
                    o.put("query", r.query());
                    o.put("response", r.response());
                    if (r.label() != null) o.put("label", r.label());
                    else {
                        ArrayNode neg = o.putArray("rejected_response");
                        r.negatives().forEach(neg::add);
                    }
                    if (scores && r.label() != null) o.put("score", r.scores()[0]);
                    else if (scores) {
                        ArrayNode s = o.putArray("scores");
                        for (float v : r.scores()) s.add(v);
                    }
                    w.write(json.writeValueAsString(o));
                    w.write('\n');
                }
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write " + out, e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it cleans up
            }
        }
        return out;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** The first {@code n} queries with their positive and hardest negative, scores beside them: a look at what was mined. */
    public Table examples(int n) {
        StringColumn query = StringColumn.create("query"), positive = StringColumn.create("positive"), negative = StringColumn.create("negative");
        DoubleColumn ps = DoubleColumn.create("positive score"), ns = DoubleColumn.create("negative score");
        for (int q = 0; q < Math.min(n, queries.size()); q++) {
            query.append(queries.get(q));
            positive.append(docs.get(positives.get(q)[0]));
            ps.append(positiveScores.get(q)[0]);
            NegativeRules.Picked p = negatives.get(q);
            negative.append(p.size() == 0 ? "(none)" : docs.get(p.ids()[0]));
            if (p.size() == 0) ns.appendMissing();
            else ns.append(p.scores()[0]);
        }
        ps.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        ns.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        return Table.create("mined negatives", query, positive, ps, negative, ns);
    }

    /** Queries that found fewer negatives than asked for. */
    public int queriesShort() {
        int n = 0;
        for (NegativeRules.Picked p : negatives) if (p.size() < rules.numNegatives()) n++;
        return n;
    }

    /**
     * Positive and negative scores side by side (count, mean, quartiles), as sentence-transformers
     * prints them: how far below the positives the negatives sit.
     */
    public String scoreTable() {
        List<Float> pos = new ArrayList<>(), neg = new ArrayList<>(), diff = new ArrayList<>();
        for (int q = 0; q < queries.size(); q++) {
            for (float p : positiveScores.get(q)) {
                pos.add(p);
                for (float n : negatives.get(q).scores()) diff.add(p - n);
            }
            for (float n : negatives.get(q).scores()) neg.add(n);
        }
        StringBuilder sb = new StringBuilder(String.format("%-8s %12s %12s %12s%n", "", "positive", "negative", "difference"));
        sb.append(String.format("%-8s %,12d %,12d %12s%n", "count", pos.size(), neg.size(), ""));
        for (String stat : List.of("mean", "min", "25%", "50%", "75%", "max"))
            sb.append(String.format("%-8s %12s %12s %12s%n", stat, stat(pos, stat), stat(neg, stat), stat(diff, stat)));
        return sb.toString();
    }

    private static String stat(List<Float> values, String which) {
        if (values.isEmpty()) return "-";
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) v[i] = values.get(i);
        Arrays.sort(v);
        double x = switch (which) {
            case "mean" -> { double s = 0; for (float f : v) s += f; yield s / v.length; }
            case "min" -> v[0];
            case "max" -> v[v.length - 1];
            default -> quantile(v, Integer.parseInt(which.substring(0, 2)) / 100.0);
        };
        return String.format("%.4f", x);
    }

    /** Linear interpolation between order statistics, as torch.quantile does. */
    private static double quantile(float[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    @Override
    public String toString() {
        int found = 0;
        for (NegativeRules.Picked p : negatives) found += p.size();
        return String.format("Mined %,d negatives for %,d queries from %,d documents (%,d queries found fewer than %d); %s",
                found, queries.size(), docs.size(), queriesShort(), rules.numNegatives(), skipped);
    }
}
