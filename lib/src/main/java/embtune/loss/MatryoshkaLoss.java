package embtune.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import embtune.model.Pooling;
import java.util.Arrays;

/**
 * Trains embeddings that still work when cut short:
 * {@code loss = sum_d w_d * base(normalize(E[:, :d]))} over the chosen dims d. Dims larger than
 * the embedding are skipped. Wraps any loss, like sentence-transformers' MatryoshkaLoss and
 * ms-swift's {@code --mrl_dims}.
 */
public final class MatryoshkaLoss implements EmbeddingLoss {
    private final EmbeddingLoss base;
    private final int[] dims;
    private final double[] weights;

    public MatryoshkaLoss(EmbeddingLoss base, int[] dims, double[] weights) {
        if (weights != null && weights.length != dims.length)
            throw new IllegalArgumentException(dims.length + " matryoshka dims but " + weights.length + " weights");
        this.base = base;
        this.dims = dims.clone();
        this.weights = weights == null ? filled(dims.length) : weights.clone();
    }

    private static double[] filled(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1);
        return w;
    }

    @Override
    public NDArray compute(NDArray rows, Layout layout) {
        long full = rows.getShape().get(1);
        NDArray total = null;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] > full) continue;
            NDArray cut = dims[i] == full ? rows : Pooling.l2(rows.get(new NDIndex(":, :{}", dims[i])));
            NDArray l = base.compute(cut, layout).mul(PairOps.scalar(rows, weights[i]));
            total = total == null ? l : total.add(l);
        }
        if (total == null)
            throw new IllegalArgumentException("every matryoshka dim " + Arrays.toString(dims) + " exceeds the embedding size " + full);
        return total;
    }

    @Override
    public boolean wantsPairs() {
        return base.wantsPairs();
    }

    @Override
    public String toString() {
        return "matryoshka " + Arrays.toString(dims) + " weights " + Arrays.toString(weights) + " of " + base;
    }
}
