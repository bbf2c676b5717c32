package embtune.loss;

import ai.djl.ndarray.NDArray;

/**
 * Contrastive loss on the hard pairs of the batch only, summed (not averaged):
 * <pre>
 * neg_thr = max(d of positives) if more than one positive, else mean(d of negatives)
 * pos_thr = min(d of negatives) if more than one negative, else mean(d of positives)
 * loss = sum over positives farther than pos_thr of d^2
 *      + sum over negatives closer than neg_thr of max(0, m - d)^2
 * </pre>
 * Data: 0/1 pairs. Same as sentence-transformers' OnlineContrastiveLoss (including its
 * "more than one" conditions) and ms-swift's {@code online_contrastive}. Fixtures:
 * "online_contrastive", "online_contrastive_single_positive".
 */
public final class OnlineContrastiveLoss implements EmbeddingLoss {
    private final double margin;

    public OnlineContrastiveLoss(double margin) {
        this.margin = margin;
    }

    @Override
    public NDArray compute(NDArray rows, Layout layout) {
        PairOps.labels(rows, layout); // checks the layout
        NDArray d = PairOps.cosineDistance(rows);
        // choosing the hard pairs needs the distances on the host; the loss itself stays on the device
        double[] dist = d.stopGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
        float[] labels = layout.labels();
        double posMax = Double.NEGATIVE_INFINITY, negMin = Double.POSITIVE_INFINITY, posSum = 0, negSum = 0;
        int pos = 0, neg = 0;
        for (int i = 0; i < dist.length; i++) {
            if (labels[i] == 1f) { pos++; posSum += dist[i]; posMax = Math.max(posMax, dist[i]); }
            else { neg++; negSum += dist[i]; negMin = Math.min(negMin, dist[i]); }
        }
        double negThr = pos > 1 ? posMax : negSum / neg;   // NaN when there are no negatives: selects none
        double posThr = neg > 1 ? negMin : posSum / pos;
        float[] hardPos = new float[dist.length], hardNeg = new float[dist.length];
        for (int i = 0; i < dist.length; i++) {
            if (labels[i] == 1f && dist[i] > posThr) hardPos[i] = 1;
            if (labels[i] != 1f && dist[i] < negThr) hardNeg[i] = 1;
        }
        NDArray hp = rows.getManager().create(hardPos).toType(rows.getDataType(), false);
        NDArray hn = rows.getManager().create(hardNeg).toType(rows.getDataType(), false);
        return hp.mul(d.square()).add(hn.mul(PairOps.marginPush(d, margin))).sum();
    }

    @Override
    public String toString() {
        return "online_contrastive (margin " + margin + "): contrastive on the batch's hard pairs, summed";
    }
}
