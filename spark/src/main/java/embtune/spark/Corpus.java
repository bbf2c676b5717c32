package embtune.spark;

import embtune.data.DataError;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.trim;

/**
 * A corpus on any path Spark reads (local, HDFS, S3A with its connector): JSON lines, Parquet, or
 * plain text lines, as rows of id column(s), text, and optionally an image path. Everything that
 * can be wrong with it is found here, before a model is loaded: a path that is not there, a line
 * that is not JSON, a missing column, a row without text.
 */
public final class Corpus {
    /** Spark's column for a JSON line it could not parse. */
    static final String CORRUPT = "_corrupt_record";
    /** The file each row came from (relative image paths are resolved against its folder). */
    static final String FILE = "_file";

    public enum Format {
        JSONL, PARQUET, TEXT;

        /** --input_format, or (auto) what the path's name says: .jsonl/.json, .parquet, else text lines. */
        static Format of(String path, String flag) {
            String f = flag == null ? "auto" : flag.toLowerCase(Locale.ROOT);
            return switch (f) {
                case "jsonl", "json" -> JSONL;
                case "parquet" -> PARQUET;
                case "text", "txt" -> TEXT;
                case "auto" -> {
                    String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
                    yield p.endsWith(".jsonl") || p.endsWith(".json") || p.endsWith(".jsonl.gz") ? JSONL
                            : p.endsWith(".parquet") ? PARQUET : TEXT;
                }
                default -> throw new IllegalArgumentException("--input_format " + flag + ": use auto, jsonl, parquet or text");
            };
        }
    }

    /**
     * The columns to keep: ids (empty: the input's {@code id} or {@code _id} if it has one), the
     * text, and an image path column (used when the input has it).
     */
    public record Columns(List<String> ids, String text, String image) {
        public static Columns defaults() {
            return new Columns(List.of(), "text", "image");
        }
    }

    /** The checked corpus: rows of ids, text, [image], and {@link #FILE}; and which columns those are. */
    public record Loaded(Dataset<Row> rows, List<String> ids, String text, String image) {}

    private Corpus() {}

    public static Loaded read(SparkSession spark, String path, String format, Columns want) {
        Format f = Format.of(path, format);
        mustExist(spark, path);
        Dataset<Row> df = switch (f) {
            case JSONL -> spark.read().option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT).json(path);
            case PARQUET -> spark.read().parquet(path);
            case TEXT -> numberedLines(spark, path);
        };
        df = df.withColumn(FILE, input_file_name());
        List<String> have = Arrays.asList(df.columns());
        if (have.contains(CORRUPT)) {
            // Spark refuses a query of the corrupt-record column alone; with every column it answers
            if (have.size() == 2) throw new DataError(path, 0, null, "no line is a JSON object");
            List<Row> bad = df.filter(col(CORRUPT).isNotNull()).limit(1).collectAsList();
            if (!bad.isEmpty()) throw notJson(spark, bad.get(0).getString(bad.get(0).fieldIndex(FILE)));
        }
        String text = f == Format.TEXT ? "text" : want.text();
        if (!have.contains(text))
            throw new DataError(path, 0, text, "no such column (the input has " + visible(have) + "); choose one with --text_column");
        if (!(df.schema().apply(text).dataType() instanceof org.apache.spark.sql.types.StringType))
            throw new DataError(path, 0, text, "is " + df.schema().apply(text).dataType().simpleString() + ", not text");
        List<String> ids = new ArrayList<>(want.ids());
        for (String id : ids)
            if (!have.contains(id))
                throw new DataError(path, 0, id, "no such column (the input has " + visible(have) + "); check --id_column");
        if (ids.isEmpty())
            for (String id : List.of("id", "_id", "line")) if (have.contains(id)) { ids.add(id); break; }
        String image = want.image() != null && have.contains(want.image()) && f != Format.TEXT ? want.image() : null;

        List<Column> keep = new ArrayList<>();
        for (String id : ids) keep.add(col(id));
        keep.add(col(text));
        if (image != null) keep.add(col(image));
        keep.add(col(FILE));
        Dataset<Row> rows = df.select(keep.toArray(Column[]::new));
        if (f == Format.TEXT) rows = rows.filter(trim(col(text)).notEqual("")); // blank lines are no documents
        else mustHaveText(rows, path, ids, text, image);
        return new Loaded(rows, ids, text, image);
    }

    /** Lines of text files with their 1-based number (counted across the files in order): the id of a line. */
    private static Dataset<Row> numberedLines(SparkSession spark, String path) {
        Dataset<Row> lines = spark.read().text(path);
        StructType schema = new StructType(new StructField[] {
                DataTypes.createStructField("line", DataTypes.LongType, false),
                DataTypes.createStructField("text", DataTypes.StringType, true)});
        var numbered = lines.javaRDD().zipWithIndex().map(t -> RowFactory.create(t._2() + 1, t._1().getString(0)));
        return spark.createDataFrame(numbered, schema);
    }

    /** The first row whose text is missing or blank (and has no image) is an error naming its file and line. */
    private static void mustHaveText(Dataset<Row> rows, String path, List<String> ids, String text, String image) {
        Column noText = col(text).isNull().or(trim(col(text)).equalTo(""));
        if (image != null) noText = noText.and(col(image).isNull());
        List<Row> bad = rows.filter(noText).limit(1).collectAsList();
        if (bad.isEmpty()) return;
        Row r = bad.get(0);
        String file = r.getString(r.fieldIndex(FILE));
        StringBuilder which = new StringBuilder();
        for (String id : ids) which.append(which.length() == 0 ? "" : ", ").append(id).append(' ').append((Object) r.getAs(id));
        long line = lineOf(rows.sparkSession(), file, text);
        throw new DataError(display(file), line, text, "a row without text" + (which.length() == 0 ? "" : " (" + which + ")")
                + (image != null ? " or " + image : ""));
    }

    /** The number of the first JSON line in {@code file} whose field is missing or blank (0: none found). */
    private static long lineOf(SparkSession spark, String file, String field) {
        return firstLine(spark, file, o -> o == null || !o.isObject() || o.path(field).isNull() || o.path(field).isMissingNode()
                || o.path(field).asText().isBlank());
    }

    private static DataError notJson(SparkSession spark, String file) {
        long line = firstLine(spark, file, o -> o == null || !o.isObject());
        return new DataError(display(file), line, null, line > 0 ? "not a JSON object (one per line)" : "a line is not a JSON object (one per line)");
    }

    /**
     * The number of the first non-blank line of {@code file} that {@code bad} accepts (given the
     * parsed line, null when it is not JSON); 0 when there is none or the file cannot be read as
     * lines. Spark keeps no line numbers, so the driver reads the one file again, only for an error.
     */
    private static long firstLine(SparkSession spark, String file, java.util.function.Predicate<com.fasterxml.jackson.databind.JsonNode> bad) {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (BufferedReader in = open(spark, file)) {
            long n = 0;
            for (String s; (s = in.readLine()) != null; ) {
                n++;
                if (s.isBlank()) continue;
                com.fasterxml.jackson.databind.JsonNode node;
                try {
                    node = json.readTree(s);
                } catch (IOException e) {
                    node = null;
                }
                if (bad.test(node)) return n;
            }
        } catch (IOException | RuntimeException e) {
            return 0; // a Parquet file, or unreadable from here: the error names the row instead
        }
        return 0;
    }

    private static BufferedReader open(SparkSession spark, String file) throws IOException {
        Path p = new Path(java.net.URI.create(file));
        FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        return new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8));
    }

    private static void mustExist(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.globStatus(p) == null || fs.globStatus(p).length == 0) throw new DataError(path, 0, null, "no such file or folder");
        } catch (IOException e) {
            throw new DataError(path, 0, null, "cannot read: " + e.getMessage());
        }
    }

    /** A local file as a plain path; other file systems as their URI. */
    static String display(String uri) {
        return uri.startsWith("file:") ? java.nio.file.Path.of(java.net.URI.create(uri)).toString() : uri;
    }

    private static String visible(List<String> columns) {
        return String.join(", ", columns.stream().filter(c -> !c.equals(FILE) && !c.equals(CORRUPT)).toList());
    }
}
