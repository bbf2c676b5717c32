package embtune.loss;

import ai.djl.ndarray.NDArray;

/**
 * A loss over reranker scores: one logit per (query, document) row, in ms-swift's layout where
 * each query's group is its positive (label 1) followed by its negatives (label 0). A scalar out,
 * differentiable w.r.t. the scores. Cross-encoders give the classification logit; generative
 * rerankers give logit(yes) - logit(no) of the last token, so both train with the same losses.
 */
public interface RerankerLoss {
    NDArray compute(NDArray scores, float[] labels);
}
