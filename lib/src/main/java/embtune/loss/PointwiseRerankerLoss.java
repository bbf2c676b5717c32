package embtune.loss;

import ai.djl.ndarray.NDArray;

/**
 * {@code loss = mean_i BCE(sigmoid(s_i), y_i)}: every (query, document) row is its own binary
 * question, is this document relevant? ms-swift's {@code pointwise_reranker} (BCEWithLogitsLoss).
 * Written as {@code max(s,0) - s y + log(1 + e^-|s|)}, the form that never overflows exp.
 * Fixture: reranker.json "pointwise".
 */
public final class PointwiseRerankerLoss implements RerankerLoss {
    @Override
    public NDArray compute(NDArray s, float[] labels) {
        NDArray y = s.getManager().create(labels).toType(s.getDataType(), false);
        NDArray softplusTail = s.abs().neg().exp().add(1).log();
        return s.maximum(0).sub(s.mul(y)).add(softplusTail).mean();
    }

    @Override
    public String toString() {
        return "pointwise_reranker: mean BCE(sigmoid(score), label)";
    }
}
