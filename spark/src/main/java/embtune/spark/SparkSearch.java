package embtune.spark;

import ai.djl.Device;
import embtune.engine.Torch;
import embtune.mine.ExactSearch;
import embtune.mine.Neighbours;
import embtune.mine.Search;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Exact search with the documents spread over Spark's executors: the document vectors are cut into
 * slices, one per partition, kept in the executors' memory; the queries go out in blocks (one
 * broadcast each); every slice answers each query's top k among its documents with the library's
 * {@link ExactSearch}, and the per-slice lists are merged per query into the overall top k, ties to
 * the lower id, as one search over all documents orders them.
 */
public final class SparkSearch implements Search {
    /** Each query's nearest documents of one slice, or merged over slices: what travels between executors and driver. */
    record Top(int[][] ids, float[][] scores) implements Serializable {}

    /** Documents {@code start .. start + vectors.length - 1}. */
    record Slice(int start, float[][] vectors) implements Serializable {
        Top search(float[][] queries, int k) {
            try (ExactSearch exact = new ExactSearch(vectors, Device.cpu())) {
                TaskContext task = TaskContext.get();
                if (task != null) Torch.intraOpThreads(Math.max(1, task.cpus()));
                Neighbours n = exact.search(queries, k, null);
                for (int[] row : n.ids()) for (int j = 0; j < row.length; j++) row[j] += start;
                return new Top(n.ids(), n.scores());
            }
        }
    }

    private final JavaSparkContext jsc;
    private final JavaRDD<Slice> slices;
    private final int queryBlock;

    public SparkSearch(SparkSession spark, float[][] docs, int partitions, int queryBlock) {
        if (docs.length == 0) throw new IllegalArgumentException("no documents to search");
        this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int n = Math.max(1, Math.min(partitions, docs.length));
        List<Slice> parts = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            int from = (int) ((long) docs.length * p / n), to = (int) ((long) docs.length * (p + 1) / n);
            parts.add(new Slice(from, Arrays.copyOfRange(docs, from, to)));
        }
        this.slices = jsc.parallelize(parts, n).persist(StorageLevel.MEMORY_AND_DISK());
        this.queryBlock = queryBlock;
    }

    public SparkSearch(SparkSession spark, float[][] docs, int partitions) {
        this(spark, docs, partitions, 4096);
    }

    @Override
    public Neighbours search(float[][] queries, int k, IntConsumer done) {
        int[][] ids = new int[queries.length][];
        float[][] scores = new float[queries.length][];
        for (int q0 = 0; q0 < queries.length; q0 += queryBlock) {
            int q1 = Math.min(queries.length, q0 + queryBlock);
            Broadcast<float[][]> block = jsc.broadcast(Arrays.copyOfRange(queries, q0, q1));
            Top top = slices.map(s -> s.search(block.value(), k)).reduce((a, b) -> merge(a, b, k));
            block.destroy();
            System.arraycopy(top.ids(), 0, ids, q0, q1 - q0);
            System.arraycopy(top.scores(), 0, scores, q0, q1 - q0);
            if (done != null) done.accept(q1);
        }
        return new Neighbours(ids, scores);
    }

    /** Two slices' answers as one: per query, the best k of both lists. */
    static Top merge(Top a, Top b, int k) {
        int rows = a.ids().length;
        int[][] ids = new int[rows][];
        float[][] scores = new float[rows][];
        for (int r = 0; r < rows; r++) {
            int m = Math.min(k, a.ids()[r].length + b.ids()[r].length);
            ids[r] = new int[m];
            scores[r] = new float[m];
            Neighbours.merge(a.ids()[r], a.scores()[r], b.ids()[r], b.scores()[r], m, ids[r], scores[r]);
        }
        return new Top(ids, scores);
    }

    @Override
    public void close() {
        slices.unpersist(false);
    }

    @Override
    public String toString() {
        return "SparkSearch: " + slices.getNumPartitions() + " slices, blocks of " + queryBlock + " queries";
    }
}
