package embtune.mine;

import java.util.function.IntConsumer;

/** Finds each query's k nearest documents among vectors given up front (unit length: dot product = cosine). */
public interface Search extends AutoCloseable {
    /**
     * @param done told how many queries are finished, now and then (may be null)
     */
    Neighbours search(float[][] queries, int k, IntConsumer done);

    @Override
    void close();
}
