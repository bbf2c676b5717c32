package embtune.mine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Exact nearest neighbours by dot product (cosine, as the vectors are unit length), in blocks on
 * the device: a block of queries times a block of documents, each row's top k of that block, merged
 * into the row's running top k on the host. Memory is one block of scores, never queries x documents.
 */
public final class ExactSearch implements Search {
    private final NDManager manager;
    private final List<NDArray> docBlocks = new ArrayList<>(); // [docBlock, d] each, on the device, uploaded once
    private final int n;
    private final int queryBlock;
    private final int docBlock;

    /**
     * @param docs       unit-length document vectors
     * @param device     where the products run
     * @param queryBlock queries per block; {@code queryBlock x docBlock} floats are the scores in memory at once
     * @param docBlock   documents per block
     */
    public ExactSearch(float[][] docs, Device device, int queryBlock, int docBlock) {
        if (docs.length == 0) throw new IllegalArgumentException("no documents to search");
        this.manager = NDManager.newBaseManager(device);
        this.n = docs.length;
        for (int d0 = 0; d0 < n; d0 += docBlock) {
            int d1 = Math.min(n, d0 + docBlock);
            docBlocks.add(manager.create(flat(Arrays.copyOfRange(docs, d0, d1)), new Shape(d1 - d0, docs[0].length)).transpose());
        }
        this.queryBlock = queryBlock;
        this.docBlock = docBlock;
    }

    public ExactSearch(float[][] docs, Device device) {
        this(docs, device, 256, 16384);
    }

    @Override
    public Neighbours search(float[][] queries, int k, IntConsumer done) {
        int[][] ids = new int[queries.length][];
        float[][] scores = new float[queries.length][];
        int keep = Math.min(k, n);
        for (int q0 = 0; q0 < queries.length; q0 += queryBlock) {
            int q1 = Math.min(queries.length, q0 + queryBlock), rows = q1 - q0;
            int[][] bestIds = new int[rows][0];
            float[][] bestScores = new float[rows][0];
            try (NDManager step = manager.newSubManager()) {
                NDArray q = step.create(flat(Arrays.copyOfRange(queries, q0, q1)), new Shape(rows, queries[0].length));
                for (int b = 0; b < docBlocks.size(); b++) {
                    int d0 = b * docBlock, d1 = Math.min(n, d0 + docBlock), blockK = Math.min(keep, d1 - d0);
                    NDArray s = q.matMul(docBlocks.get(b));
                    NDList top = s.topK(blockK, 1, true, true);
                    float[] v = top.get(0).toFloatArray();
                    long[] ix = top.get(1).toLongArray();
                    for (int r = 0; r < rows; r++) {
                        int[] bIds = new int[blockK];
                        float[] bScores = Arrays.copyOfRange(v, r * blockK, (r + 1) * blockK);
                        for (int j = 0; j < blockK; j++) bIds[j] = d0 + (int) ix[r * blockK + j];
                        int m = Math.min(keep, bestIds[r].length + blockK);
                        int[] mIds = new int[m];
                        float[] mScores = new float[m];
                        Neighbours.merge(bestIds[r], bestScores[r], bIds, bScores, m, mIds, mScores);
                        bestIds[r] = mIds;
                        bestScores[r] = mScores;
                    }
                    s.close();
                    top.close();
                }
            }
            System.arraycopy(bestIds, 0, ids, q0, rows);
            System.arraycopy(bestScores, 0, scores, q0, rows);
            if (done != null) done.accept(q1);
        }
        return new Neighbours(ids, scores);
    }

    static float[] flat(float[][] rows) {
        int d = rows[0].length;
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * d, d);
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return String.format("ExactSearch: %,d documents, blocks of %d queries x %,d documents, %s", n, queryBlock, docBlock, manager.getDevice());
    }
}
