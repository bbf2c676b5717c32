package embtune.spark;

import embtune.mine.Teacher;
import embtune.model.Embedder;
import embtune.model.ModelDir;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * A miner's teacher whose texts are embedded on Spark's executors: each call is one job over
 * {@code partitions} slices of the texts, every executor with its own copy of the model; the vectors
 * come back in input order. Prompts are the model folder's, as a local teacher's are.
 */
public final class SparkTeacher implements Teacher {
    private final JavaSparkContext jsc;
    private final ModelSource source;
    private final ModelDir dir;
    private final int partitions;

    public SparkTeacher(SparkSession spark, ModelSource source, int partitions) {
        this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.source = source;
        this.dir = source.dir();
        this.partitions = partitions;
    }

    @Override
    public float[][] embed(List<String> texts) {
        ModelSource s = source;
        List<float[]> v = jsc.parallelize(texts, Math.max(1, Math.min(partitions, texts.size()))).mapPartitions((Iterator<String> it) -> {
            if (!it.hasNext()) return java.util.Collections.<float[]>emptyIterator();
            List<String> part = new ArrayList<>();
            it.forEachRemaining(part::add);
            Embedder m = ExecutorModel.forTask(s);
            return Arrays.asList(m.embed(part)).iterator();
        }).collect();
        return v.toArray(float[][]::new);
    }

    @Override
    public String queryPrompt() {
        return dir.prompts().getOrDefault("query", "");
    }

    /** sentence-transformers' encode_document: the first of "document", "passage", "corpus" the model has. */
    @Override
    public String documentPrompt() {
        for (String name : List.of("document", "passage", "corpus")) {
            String p = dir.prompts().get(name);
            if (p != null) return p;
        }
        return "";
    }

    @Override
    public String name() {
        return source.name() + " on Spark";
    }

    @Override
    public String toString() {
        return "SparkTeacher " + source + ", " + partitions + " partitions";
    }
}
