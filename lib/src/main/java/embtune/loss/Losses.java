package embtune.loss;

import java.util.Random;

/** Builds the loss a run asked for. */
public final class Losses {
    private Losses() {}

    /**
     * @param margin  contrastive margin (ms-swift hard-codes 0.5)
     * @param infonce InfoNCE settings (environment, then flags)
     * @param mrlDims matryoshka dims, or null
     * @param mrlWeights their weights, or null for all 1
     * @param random   InfoNCE's draws of missing hard negatives (the trainer reseeds it each step)
     */
    public static EmbeddingLoss create(LossType type, double margin, InfoNceOptions infonce, int[] mrlDims, double[] mrlWeights, Random random) {
        EmbeddingLoss base = switch (type) {
            case COSINE_SIMILARITY -> new CosineSimilarityLoss();
            case CONTRASTIVE -> new ContrastiveLoss(margin);
            case ONLINE_CONTRASTIVE -> new OnlineContrastiveLoss(margin);
            case INFONCE -> new InfoNceLoss(infonce, random);
        };
        return mrlDims == null || mrlDims.length == 0 ? base : new MatryoshkaLoss(base, mrlDims, mrlWeights);
    }
}
