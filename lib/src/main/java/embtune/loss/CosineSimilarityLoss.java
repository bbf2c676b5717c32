package embtune.loss;

import ai.djl.ndarray.NDArray;

/**
 * {@code loss = mean_i (cos(u_i, v_i) - y_i)^2}. Data: pairs with a similarity score y in [0,1]
 * (STS-B divided by 5). Rewards cosines that track the score; same as sentence-transformers'
 * CosineSimilarityLoss and ms-swift's {@code cosine_similarity}. Fixture: losses.json
 * "cosine_similarity".
 */
public final class CosineSimilarityLoss implements EmbeddingLoss {
    @Override
    public NDArray compute(NDArray rows, Layout layout) {
        NDArray y = PairOps.labels(rows, layout);
        return PairOps.cosine(rows).sub(y).square().mean();
    }

    @Override
    public String toString() {
        return "cosine_similarity: mean (cos(u,v) - y)^2";
    }
}
