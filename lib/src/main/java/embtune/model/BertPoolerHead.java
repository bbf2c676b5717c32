package embtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import embtune.nn.Linear;
import embtune.nn.Module;

/**
 * BertForSequenceClassification with one label (ms-marco-MiniLM and other BERT cross-encoders):
 * {@code score = classifier(dropout(tanh(pooler(h[CLS]))))}, the dropout (classifier_dropout, else
 * hidden_dropout_prob) only while training. The pooler lives inside {@code bert.} in the checkpoint, the classifier at the root.
 */
final class BertPoolerHead extends ScoreHead {
    final Linear pooler, classifier;
    final double dropout;

    BertPoolerHead(int hidden, double dropout) {
        this.dropout = dropout;
        pooler = child("pooler", new Module() {}).child("dense", new Linear(hidden, hidden, true));
        classifier = child("classifier", new Linear(hidden, 1, true));
    }

    @Override
    public NDArray score(NDArray hidden, NDArray mask) {
        NDArray cls = hidden.get(new NDIndex(":, 0, :"));
        return classifier.forward(dropout(pooler.forward(cls).tanh(), dropout)).squeeze(-1);
    }

    @Override
    public String encoderPrefix() {
        return "bert.";
    }

    @Override
    public boolean wantsTokenTypes() {
        return true;
    }

    @Override
    public String savedName(String parameter) {
        return parameter.startsWith("pooler.") ? "bert." + parameter : parameter;
    }
}
