package embtune.spark;

import embtune.model.ModelDir;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Embeds a corpus on Spark and writes Parquet: the input's id column(s), the text (and image
 * path), and {@code embedding} (array&lt;float&gt;), whose column metadata names the model, the
 * width and whether vectors are unit length. Each executor loads the model once and embeds its
 * partitions in windows of rows, sorted by length inside each window, exactly as {@code embed} would.
 *
 * <pre>
 * var spark = SparkSession.builder().master("local[*]").getOrCreate();
 * EmbedCorpus.of(ModelSource.resolve("models/all-MiniLM-L6-v2", null, null))
 *         .input("corpus.jsonl").output("corpus.parquet").run(spark);
 * </pre>
 */
public final class EmbedCorpus {
    public static final String EMBEDDING = "embedding";

    /** What a run wrote: rows, vector width, wall time. */
    public record Result(String output, long rows, int dimension, int partitions, double seconds) {
        public double rowsPerSecond() { return rows / seconds; }

        @Override
        public String toString() {
            return String.format("%,d rows x %d dims in %d partitions -> %s (%.1f s, %.0f rows/s)", rows, dimension, partitions,
                    output, seconds, rowsPerSecond());
        }
    }

    private final ModelSource model;
    private String input, output, format = "auto";
    private Corpus.Columns columns = Corpus.Columns.defaults();
    private boolean overwrite;
    private Boolean ship;          // null: ship the model folder unless Spark runs in this JVM (local mode)
    private Integer partitions;    // null: at least as many as the cluster has cores
    private int window = 4096;     // rows sorted by length together; more pads less, holds more in memory

    private EmbedCorpus(ModelSource model) {
        this.model = model;
    }

    public static EmbedCorpus of(ModelSource model) {
        return new EmbedCorpus(model);
    }

    public EmbedCorpus input(String path) { this.input = path; return this; }
    public EmbedCorpus output(String path) { this.output = path; return this; }
    public EmbedCorpus format(String f) { this.format = f; return this; }
    public EmbedCorpus columns(Corpus.Columns c) { this.columns = c; return this; }
    public EmbedCorpus overwrite(boolean o) { this.overwrite = o; return this; }
    public EmbedCorpus ship(Boolean s) { this.ship = s; return this; }
    public EmbedCorpus partitions(Integer n) { this.partitions = n; return this; }
    public EmbedCorpus window(int rows) { this.window = rows; return this; }

    public Result run(SparkSession spark) {
        long start = System.nanoTime();
        if (input == null || output == null) throw new IllegalArgumentException("EmbedCorpus needs an input and an output path");
        SparkContext sc = spark.sparkContext();
        refuseExisting(sc, output, overwrite);
        Corpus.Loaded corpus = Corpus.read(spark, input, format, columns);
        ModelDir dir = model.dir();
        ModelSource source = (ship != null ? ship : !sc.isLocal()) ? model.ship(sc) : model;

        Dataset<Row> rows = corpus.rows();
        int target = partitions != null ? partitions : Math.max(rows.rdd().getNumPartitions(), sc.defaultParallelism());
        if (rows.rdd().getNumPartitions() < target) rows = rows.repartition(target);

        StructType in = rows.schema();
        List<StructField> out = new ArrayList<>(Arrays.asList(in.fields()));
        out.remove(out.size() - 1); // the source file: only needed to find relative image paths
        out.add(DataTypes.createStructField(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false), false));
        StructType schema = new StructType(out.toArray(StructField[]::new));
        EmbedPartition embed = new EmbedPartition(source, in.fieldIndex(corpus.text()),
                corpus.image() == null ? -1 : in.fieldIndex(corpus.image()), in.fieldIndex(Corpus.FILE), window);
        spark.sparkContext().setJobDescription("embed " + input + " with " + model.name());
        Dataset<Row> embedded = rows.mapPartitions(embed, Encoders.row(schema));
        // the row encoder drops column metadata; put it back for the files' footers
        embedded.withColumn(EMBEDDING, embedded.col(EMBEDDING).as(EMBEDDING, metadata(model, dir)))
                .write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
        spark.sparkContext().setJobDescription(null);
        long written = spark.read().parquet(output).count(); // from the files' footers, not a second pass
        return new Result(output, written, dir.config().hiddenSize(), target, (System.nanoTime() - start) / 1e9);
    }

    /** The model, width, normalisation and pooling, kept with the vectors (Spark stores them in each file's footer). */
    static Metadata metadata(ModelSource model, ModelDir dir) {
        MetadataBuilder m = new MetadataBuilder()
                .putString("embtune.model", model.name())
                .putLong("embtune.dimension", dir.config().hiddenSize())
                .putBoolean("embtune.normalized", dir.pooling().normalize())
                .putString("embtune.pooling", dir.pooling().toString());
        if (model.query()) m.putBoolean("embtune.query", true);
        return m.build();
    }

    /** An output that exists is refused before any work, unless --mode overwrite. */
    static void refuseExisting(SparkContext sc, String output, boolean overwrite) {
        try {
            Path p = new Path(output);
            FileSystem fs = p.getFileSystem(sc.hadoopConfiguration());
            if (!overwrite && fs.exists(p))
                throw new IllegalArgumentException(output + " exists; pass --mode overwrite to replace it");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(output + ": cannot check the output path", e);
        }
    }
}
