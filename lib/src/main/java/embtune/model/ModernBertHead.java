package embtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import embtune.nn.LayerNorm;
import embtune.nn.Linear;
import embtune.nn.Module;

/**
 * ModernBertForSequenceClassification with one label (gte-reranker-modernbert):
 * {@code score = classifier(norm(gelu(dense(pool(h)))))}, pooling the CLS token or the masked mean
 * ({@code classifier_pooling}); while training, {@code classifier_dropout} before the classifier.
 */
final class ModernBertHead extends ScoreHead {
    final Linear dense, classifier;
    final LayerNorm norm;
    final boolean meanPooling;
    final double dropout;

    ModernBertHead(int hidden, boolean denseBias, boolean normBias, double eps, boolean meanPooling, double dropout) {
        this.dropout = dropout;
        Module head = child("head", new Module() {});
        dense = head.child("dense", new Linear(hidden, hidden, denseBias));
        norm = head.child("norm", new LayerNorm(hidden, eps, normBias));
        classifier = child("classifier", new Linear(hidden, 1, true));
        this.meanPooling = meanPooling;
    }

    @Override
    public NDArray score(NDArray hidden, NDArray mask) {
        NDArray pooled;
        if (meanPooling) {
            NDArray m = mask.toType(hidden.getDataType(), false).expandDims(-1);
            pooled = hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}));
        } else {
            pooled = hidden.get(new NDIndex(":, 0, :"));
        }
        return classifier.forward(dropout(norm.forward(Activation.gelu(dense.forward(pooled))), dropout)).squeeze(-1);
    }

    @Override
    public String encoderPrefix() {
        return "model.";
    }
}
