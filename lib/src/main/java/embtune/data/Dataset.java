package embtune.data;

import embtune.loss.LossType;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import tech.tablesaw.api.Table;

/**
 * Rows of (anchor, positive, negatives, label), loaded from JSONL, JSON, CSV or TSV, with what
 * kind of data it is and the loss that fits.
 *
 * <pre>
 * var data = Dataset.load("datasets/stsb-scored.jsonl#500");
 * data.kind();            // SCORES
 * data.recommendedLoss(); // cosine_similarity (labels are similarity scores ...)
 * data.summary();         // Tablesaw table: text lengths and labels
 * var split = data.split(0.1);
 * </pre>
 *
 * Subsets (split, sample) are views over one shared compact store.
 */
public final class Dataset implements Iterable<Record> {
    /** What loading skipped: invalid rows (with --skip-invalid) and rows a subset left out. */
    public record LoadReport(int skipped, int filtered, List<DataError> firstErrors) {
        static final LoadReport NONE = new LoadReport(0, 0, List.of());

        @Override
        public String toString() {
            if (skipped == 0) return filtered == 0 ? "" : filtered + " rows left out by the subset";
            StringBuilder sb = new StringBuilder("skipped " + skipped + " invalid rows");
            for (DataError e : firstErrors) sb.append("\n  ").append(e.getMessage());
            if (skipped > firstErrors.size()) sb.append("\n  ...");
            return sb.toString();
        }
    }

    private final String name;
    private final RecordStore store;
    private final int[] rows; // null = every row of the store, in order
    private final LoadReport report;
    private DatasetStats stats;

    Dataset(String name, RecordStore store, int[] rows, LoadReport report) {
        this.name = name;
        this.store = store;
        this.rows = rows;
        this.report = report;
    }

    public static Dataset load(String spec) {
        return load(spec, LoadOptions.defaults());
    }

    public static Dataset load(Path path) {
        return load(path.toString());
    }

    public static Dataset load(String spec, LoadOptions options) {
        return DatasetLoader.load(DatasetSpec.parse(spec), options);
    }

    /** A data set from records in memory (tests, notebooks). */
    public static Dataset of(String name, List<Record> records) {
        RecordStore s = new RecordStore();
        long line = 0;
        for (Record r : records) s.add(r, ++line);
        return new Dataset(name, s, null, LoadReport.NONE);
    }

    public static Dataset of(String name, Record... records) {
        return of(name, List.of(records));
    }

    /** Several data sets as one (rows in order); a single one is returned as is. */
    public static Dataset concat(List<Dataset> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("no data sets to join");
        if (parts.size() == 1) return parts.get(0);
        RecordStore s = new RecordStore();
        StringBuilder name = new StringBuilder();
        Dataset labelled = null, unlabelled = null;
        for (Dataset d : parts) {
            if (d.stats().labelled() > 0) labelled = labelled == null ? d : labelled;
            if (d.stats().labelled() < d.size()) unlabelled = unlabelled == null ? d : unlabelled;
        }
        if (labelled != null && unlabelled != null)
            throw new DataError(unlabelled.name(), 0, "label", "rows without labels, while " + labelled.name()
                    + " has labels; join data sets that are all labelled or all unlabelled");
        for (Dataset d : parts) {
            name.append(name.length() == 0 ? "" : " + ").append(d.name());
            for (int i = 0; i < d.size(); i++) s.add(d.get(i), d.lineOf(i));
        }
        return new Dataset(name.toString(), s, null, LoadReport.NONE);
    }

    public String name() { return name; }

    public int size() { return rows == null ? store.size() : rows.length; }

    public Record get(int i) { return store.get(row(i)); }

    /** The source line of row i, for error messages that point back into the file. */
    public long lineOf(int i) { return store.line(row(i)); }

    float labelAt(int i) { return store.label(row(i)); }

    int negativeCountAt(int i) { return store.negativeCount(row(i)); }

    private int row(int i) {
        if (rows == null) return i;
        return rows[i];
    }

    public List<Record> records() {
        return new AbstractList<>() {
            @Override public Record get(int i) { return Dataset.this.get(i); }
            @Override public int size() { return Dataset.this.size(); }
        };
    }

    @Override
    public Iterator<Record> iterator() {
        return records().iterator();
    }

    public LoadReport loadReport() { return report; }

    public DatasetStats stats() {
        if (stats == null) stats = DatasetStats.of(this);
        return stats;
    }

    public DataKind kind() { return stats().kind(); }

    public LossTable.Choice recommendedLoss() { return LossTable.recommend(stats()); }

    /** Throws, naming the rule, if {@code loss} cannot learn from this data. */
    public Dataset requireFits(LossType loss) {
        LossTable.check(loss, stats(), name);
        return this;
    }

    /** Rows by position in this view (used by split and sample). */
    public Dataset select(String newName, int[] positions) {
        int[] mapped = new int[positions.length];
        for (int k = 0; k < positions.length; k++) mapped[k] = row(positions[k]);
        return new Dataset(newName, store, mapped, report);
    }

    /**
     * {@code n} rows drawn with a seeded shuffle, as ms-swift's {@code #N} does
     * ({@code DatasetLoader.sample_dataset}): fewer than the data gives a random subset without
     * repeats; more repeats every row {@code n / size} times and tops up with {@code n % size}
     * rows drawn at random without replacement (not sampling with replacement). The repeats are
     * said in a note, and a count whose row indexes would not fit in this JVM's memory is refused.
     */
    public Dataset sample(int n, long seed) {
        int size = size();
        if (size == 0) return this;
        requireRoomFor(n);
        if (n > size)
            embtune.Log.note(String.format(java.util.Locale.ROOT, "%s: #%d on %,d rows repeats each row %,d times%s (ms-swift's #N)",
                    name, n, size, n / size, n % size == 0 ? "" : String.format(java.util.Locale.ROOT, " and adds %,d rows drawn at random", n % size)));
        int[] pos = new int[n];
        int full = n / size, k = 0;
        for (int r = 0; r < full; r++) for (int i = 0; i < size; i++) pos[k++] = i;
        int[] perm = permutation(size, new Random(seed));
        for (int i = 0; k < n; i++) pos[k++] = perm[i];
        return select(name, pos);
    }

    /** A view of n rows keeps two int arrays of n (positions, then rows); refuse what could not be allocated. */
    private void requireRoomFor(int n) {
        Runtime rt = Runtime.getRuntime();
        long need = 8L * n, room = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > room / 2)
            throw new DataError(name, 0, null, String.format(java.util.Locale.ROOT, "#%d asks for %,d rows of %,d: their row indexes alone need %.1f GiB, "
                    + "and this JVM has %.1f GiB free (-Xmx); ask for fewer rows", n, n, size(), need / GIB, room / GIB));
    }

    private static final double GIB = 1L << 30;

    /** Hold out max(int(n·ratio), 1) rows as validation, seeded (ms-swift's split_dataset_ratio). */
    public Split split(double ratio) {
        return split(ratio, 42);
    }

    public Split split(double ratio, long seed) {
        if (!(ratio > 0 && ratio < 1)) throw new IllegalArgumentException("split ratio must be in (0, 1): " + ratio);
        int n = size();
        int valN = Math.max((int) (n * ratio), 1);
        if (valN >= n) throw new IllegalArgumentException(name + ": " + n + " rows are too few to hold out " + valN + " for validation");
        int[] perm = permutation(n, new Random(seed));
        int[] val = Arrays.copyOfRange(perm, 0, valN);
        int[] train = Arrays.copyOfRange(perm, valN, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new Split(select(name + " (train)", train), select(name + " (val)", val));
    }

    /** A training set and its held-out validation set. */
    public record Split(Dataset train, Dataset val) {
        @Override
        public String toString() {
            return "Split[train=" + train.size() + " rows, val=" + val.size() + " rows]";
        }
    }

    /** Row positions in a seeded random order (Fisher-Yates): the same seed, the same order. */
    public int[] shuffledOrder(long seed) {
        return permutation(size(), new Random(seed));
    }

    static int[] permutation(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /** Text lengths (characters) and labels at a glance, as a Tablesaw table. */
    public Table summary() {
        return DatasetSummary.of(this);
    }

    @Override
    public String toString() {
        DatasetStats s = stats();
        return "Dataset " + name + ": " + String.format("%,d", size()) + " rows, " + s.kind()
                + (s.hasLabels() ? String.format(" (labels %.3g..%.3g, mean %.3g)", s.minLabel(), s.maxLabel(), s.meanLabel()) : "")
                + (s.rowsWithNegatives() > 0 ? ", " + s.minNegatives() + "-" + s.maxNegatives() + " negatives per row" : "")
                + " -> " + recommendedLoss().loss().id();
    }
}
