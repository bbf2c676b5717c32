package embtune.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Reads a file into a {@link RecordStore}: picks the reader by extension, applies the subset, counts skips. */
final class DatasetLoader implements RowSink {
    static final int ERRORS_KEPT = 5;

    private final RecordStore store = new RecordStore();
    private final String file;
    private final Subset subset;
    private final boolean skipInvalid;
    private final List<DataError> errors = new ArrayList<>();
    private final List<DataError> badImages = new ArrayList<>();
    private int skipped;
    private int filtered;

    private DatasetLoader(String file, Subset subset, boolean skipInvalid) {
        this.file = file;
        this.subset = subset;
        this.skipInvalid = skipInvalid;
    }

    static Dataset load(DatasetSpec spec, LoadOptions opts) {
        Path path = Path.of(spec.path());
        String name = path.getFileName() == null ? spec.path() : path.getFileName().toString();
        if (!SourceFile.present(path) && !looksLocal(spec.path()) && embtune.hub.HubDatasets.looksLikeId(spec.path())) return fromHub(spec, opts);
        if (!SourceFile.present(path)) throw new DataError(spec.path(), 0, null, looksLocal(spec.path()) ? "no such file"
                : "no such file (nor a hub data set id like org/name)");
        SourceFile.requireRegular(spec.path(), path);
        DatasetLoader loader = new DatasetLoader(spec.path(), Subset.parse(spec.subset(), name), opts.skipInvalid());
        String ext = extension(path);
        switch (ext) {
            case "jsonl" -> JsonReader.readJsonl(path, loader);
            case "json" -> JsonReader.readArray(path, loader);
            case "csv", "tsv" -> CsvReader.read(path, opts.columns(), loader);
            case "parquet" -> ParquetFile.read(path, loader);
            default -> throw new DataError(spec.path(), 0, null, "unknown file type '." + ext + "'; use .jsonl, .json, .csv, .tsv or .parquet");
        }
        loader.requireUsableImages(spec.path());
        if (loader.store.size() == 0 && loader.skipped == 0 && loader.filtered == 0)
            throw new DataError(spec.path(), 0, null, "no rows");
        loader.requireLabelsOnAllOrNone(spec.path());
        Dataset all = new Dataset(spec.toString(), loader.store, null,
                new Dataset.LoadReport(loader.skipped, loader.filtered, List.copyOf(loader.errors)));
        return spec.sample() == null ? all : all.sample(spec.sample(), opts.seed());
    }

    /** A hub data set: its train files, each loaded like a local file with the same subset, then joined. */
    private static Dataset fromHub(DatasetSpec spec, LoadOptions opts) {
        var hub = opts.hub() != null ? opts.hub() : embtune.hub.Hub.fromEnvironment();
        var found = embtune.hub.HubDatasets.resolve(spec.path(), spec.subset(), hub);
        String subset = found.subsetWasFolder() ? null : spec.subset();
        List<Dataset> parts = new ArrayList<>();
        for (Path f : found.files()) parts.add(load(new DatasetSpec(f.toString(), subset, null), opts));
        Dataset all = Dataset.concat(parts);
        return spec.sample() == null ? all : all.sample(spec.sample(), opts.seed());
    }

    /** ./x, ../x, /x, ~/x and names ending in a data file type are paths, never hub ids. */
    static boolean looksLocal(String spec) {
        String s = spec.toLowerCase(Locale.ROOT);
        return s.startsWith("./") || s.startsWith("../") || s.startsWith("/") || s.startsWith("~") || s.contains("\\")
                || s.matches(".*\\.(jsonl|json|csv|tsv|parquet|txt)$");
    }

    private static String extension(Path p) {
        String f = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = f.lastIndexOf('.');
        return dot < 0 ? "" : f.substring(dot + 1);
    }

    /**
     * Labels on some rows but not on others would be read as "positives only" or as label 1.0,
     * neither of which the file says: stop at the first row that differs.
     */
    private void requireLabelsOnAllOrNone(String file) {
        int labelled = -1, unlabelled = -1;
        for (int i = 0; i < store.size() && (labelled < 0 || unlabelled < 0); i++) {
            if (Float.isNaN(store.label(i))) { if (unlabelled < 0) unlabelled = i; }
            else if (labelled < 0) labelled = i;
        }
        if (labelled < 0 || unlabelled < 0) return;
        throw new DataError(file, store.line(unlabelled), "label", "no label, but line " + store.line(labelled) + " has one ("
                + store.label(labelled) + "); label every row (scores or 0/1) or none (positives only, for infonce)");
    }

    @Override
    public void accept(long line, Record record) {
        try {
            if (subset.keeps(record, file, line)) store.add(record, line);
            else filtered++;
        } catch (DataError e) {
            invalid(e);
        }
    }

    /** Shown of a data set's bad images; the count says how many more there are. */
    static final int BAD_IMAGES_LISTED = 20;

    /**
     * Every row whose images cannot be used, in one message: a GME data set is checked image by
     * image while it is read (exists, readable, a header the JDK decodes, within the pixel cap), so
     * a bad file stops the run before training rather than when its batch comes, and the user can
     * fix them all at once.
     */
    private void requireUsableImages(String file) {
        if (badImages.isEmpty()) return;
        if (badImages.size() == 1) throw badImages.get(0);
        StringBuilder sb = new StringBuilder(badImages.size() + " rows have images that cannot be used: ");
        for (int i = 0; i < Math.min(badImages.size(), BAD_IMAGES_LISTED); i++) {
            DataError e = badImages.get(i);
            sb.append(i == 0 ? "" : "; ").append("line ").append(e.line()).append(' ').append(e.field()).append(": ")
                    .append(e.getMessage().substring(e.getMessage().indexOf("': ") + 3));
        }
        if (badImages.size() > BAD_IMAGES_LISTED) sb.append("; and ").append(badImages.size() - BAD_IMAGES_LISTED).append(" more");
        throw new DataError(file, badImages.get(0).line(), null, sb.append(" (--skip_invalid leaves these rows out)").toString());
    }

    @Override
    public void invalid(DataError error) {
        if (!skipInvalid && error instanceof SwiftRow.BadImage) {
            badImages.add(error); // gathered: one message lists them all
            return;
        }
        if (!skipInvalid) throw error;
        skipped++;
        if (errors.size() < ERRORS_KEPT) errors.add(error);
    }
}
