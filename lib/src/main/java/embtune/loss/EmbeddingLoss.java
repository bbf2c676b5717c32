package embtune.loss;

import ai.djl.ndarray.NDArray;

/**
 * A loss over embeddings only (never text): rows in the ms-swift layout, already
 * L2-normalised by the model, in; a scalar out, differentiable w.r.t. the rows.
 */
public interface EmbeddingLoss {
    NDArray compute(NDArray embeddings, Layout layout);

    /** What the loss needs from each batch: pairs with labels, or groups with negatives. */
    default boolean wantsPairs() {
        return true;
    }
}
