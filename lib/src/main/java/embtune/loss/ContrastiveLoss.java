package embtune.loss;

import ai.djl.ndarray.NDArray;

/**
 * With cosine distance {@code d = 1 - cos(u, v)} and margin m (0.5):
 * {@code loss = mean_i 0.5 * (y_i d_i^2 + (1 - y_i) max(0, m - d_i)^2)}. Data: pairs labelled
 * 1 (similar) or 0 (dissimilar). Pulls 1-pairs together; pushes 0-pairs apart until they are m
 * away, then stops caring. Same as sentence-transformers' ContrastiveLoss (cosine distance) and
 * ms-swift's {@code contrastive}. Fixtures: "contrastive", "contrastive_near".
 */
public final class ContrastiveLoss implements EmbeddingLoss {
    private final double margin;

    public ContrastiveLoss(double margin) {
        this.margin = margin;
    }

    @Override
    public NDArray compute(NDArray rows, Layout layout) {
        NDArray y = PairOps.labels(rows, layout);
        NDArray d = PairOps.cosineDistance(rows);
        NDArray dissimilar = PairOps.scalar(rows, 1).sub(y);
        return y.mul(d.square()).add(dissimilar.mul(PairOps.marginPush(d, margin))).mul(PairOps.scalar(rows, 0.5)).mean();
    }

    @Override
    public String toString() {
        return "contrastive (margin " + margin + "): mean 0.5 [y d^2 + (1-y) relu(m - d)^2]";
    }
}
