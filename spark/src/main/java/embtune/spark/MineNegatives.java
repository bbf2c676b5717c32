package embtune.spark;

import embtune.mine.Miner;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code mine} command's miner with its heavy parts on Spark: texts embedded on the executors
 * ({@link SparkTeacher}), the corpus vectors partitioned over them and the queries broadcast in
 * blocks ({@link SparkSearch}). Candidates, duplicates, {@link embtune.mine.NegativeRules} and the
 * rows written are the library miner's own, so the negatives are the ones {@code mine} picks.
 *
 * <pre>
 * Miner miner = MineNegatives.miner(spark, ModelSource.resolve("models/bge-small-en-v1.5", null, null), 8);
 * miner.rules(NegativeRules.defaults().relativeMargin(0.05)).mine(Dataset.load("pairs.jsonl"));
 * </pre>
 */
public final class MineNegatives {
    private MineNegatives() {}

    public static Miner miner(SparkSession spark, ModelSource model, int partitions) {
        return setUp(Miner.with(new SparkTeacher(spark, model, partitions)), spark, partitions);
    }

    /** A miner (made with a {@link SparkTeacher}) with its exact search on Spark. */
    public static Miner setUp(Miner miner, SparkSession spark, int partitions) {
        return miner.exactSearch(docs -> new SparkSearch(spark, docs, partitions));
    }

    /** Partitions when none are asked for: two per core the cluster has (a slow task is then half as late). */
    public static int defaultPartitions(SparkSession spark) {
        return 2 * Math.max(1, spark.sparkContext().defaultParallelism());
    }
}
