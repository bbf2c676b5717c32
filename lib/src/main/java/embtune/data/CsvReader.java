package embtune.data;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * CSV and TSV with a header row (columns found by name or given as {@link Columns}), and the raw
 * STS Benchmark files (tab-separated, no header, no quoting, score 0–5 in column 4, sentences in
 * columns 5–6), which are recognised by their shape.
 */
final class CsvReader {
    private CsvReader() {}

    static void read(Path path, Columns columns, RowSink sink) {
        String file = path.toString();
        String first = firstLine(path);
        char delimiter = path.toString().endsWith(".tsv") || first.contains("\t") && !first.contains(",") ? '\t' : ',';
        if (columns == null && isStsbRaw(first)) {
            readStsb(path, sink);
            return;
        }
        CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setHeader().setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true).build();
        try (Reader r = Fields.utf8(path); CSVParser p = CSVParser.parse(r, format)) {
            List<String> header = p.getHeaderNames();
            Columns c = columns != null ? columns : Columns.guess(header);
            if (c == null)
                throw new DataError(file, 1, null, "cannot tell which columns hold anchor and positive in header " + header
                        + "; pass --columns anchor,positive[,label]");
            int[] idx = indices(file, header, c);
            for (CSVRecord rec : p) {
                long line = p.getCurrentLineNumber();
                try {
                    sink.accept(line, toRecord(file, line, rec, c, idx, header));
                } catch (DataError e) {
                    sink.invalid(e);
                }
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            String why = cause instanceof java.nio.charset.CharacterCodingException ? Utf8Lines.NOT_UTF8
                    : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new DataError(file, 0, null, "cannot parse as CSV: " + why);
        }
    }

    /** Column positions for anchor, positive, label (-1 if none), negatives... */
    private static int[] indices(String file, List<String> header, Columns c) {
        List<String> wanted = new ArrayList<>(List.of(c.anchor(), c.positive()));
        wanted.add(c.label());
        wanted.addAll(c.negatives());
        int[] idx = new int[wanted.size()];
        for (int i = 0; i < idx.length; i++) {
            String w = wanted.get(i);
            if (w == null) { idx[i] = -1; continue; }
            int at = header.indexOf(w);
            if (at < 0 && w.matches("\\d+")) at = Integer.parseInt(w);
            if (at < 0 || at >= header.size()) throw new DataError(file, 1, w, "no such column; header is " + header);
            idx[i] = at;
        }
        return idx;
    }

    private static Record toRecord(String file, long line, CSVRecord rec, Columns c, int[] idx, List<String> header) {
        String anchor = Fields.text(file, line, header.get(idx[0]), cell(rec, idx[0]));
        String positive = Fields.text(file, line, header.get(idx[1]), cell(rec, idx[1]));
        Float label = null;
        if (idx[2] >= 0) {
            String raw = cell(rec, idx[2]);
            if (raw == null || raw.isBlank()) throw new DataError(file, line, header.get(idx[2]), "missing label");
            label = Fields.label(file, line, header.get(idx[2]), raw, c.labelScale());
        }
        List<String> negatives = new ArrayList<>();
        for (int k = 3; k < idx.length; k++) {
            String v = cell(rec, idx[k]);
            if (v != null && !v.isEmpty()) negatives.add(Fields.text(file, line, header.get(idx[k]), v));
        }
        return new Record(anchor, positive, negatives, label);
    }

    private static String cell(CSVRecord rec, int i) {
        return i < rec.size() ? rec.get(i) : null;
    }

    // STS Benchmark: genre, source, year, id, score, sentence1, sentence2 [, source-a, source-b]
    static boolean isStsbRaw(String line) {
        String[] f = line.split("\t", -1);
        if (f.length < 7) return false;
        try {
            double s = Double.parseDouble(f[4]);
            return s >= 0 && s <= 5;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void readStsb(Path path, RowSink sink) {
        String file = path.toString();
        try (Utf8Lines lines = new Utf8Lines(path)) {
            for (String text; (text = lines.next()) != null; ) {
                long line = lines.line();
                if (text.isBlank()) continue;
                String[] f = text.split("\t", -1);
                try {
                    if (f.length < 7) throw new DataError(file, line, null, "expected at least 7 tab-separated columns, got " + f.length);
                    float label = Fields.label(file, line, "score", f[4], 5);
                    sink.accept(line, new Record(Fields.text(file, line, "sentence1", f[5]),
                            Fields.text(file, line, "sentence2", f[6]), List.of(), label));
                } catch (DataError e) {
                    sink.invalid(e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String firstLine(Path path) {
        try (Utf8Lines r = new Utf8Lines(path)) {
            String l = r.next();
            return l == null ? "" : l;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
