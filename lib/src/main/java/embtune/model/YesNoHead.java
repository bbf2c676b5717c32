package embtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;

/**
 * A generative reranker's score (Qwen3-Reranker): the language-model head's logits for the
 * answer tokens at the last position, {@code score = h_last . (W[yes] - W[no])}, which is
 * logit(yes) - logit(no); its sigmoid is the softmax of the two, Qwen3-Reranker's relevance. Only
 * the two rows are ever multiplied, never the vocabulary. The rows come from {@code lm_head.weight},
 * or from the input embeddings when the checkpoint ties them. Inputs must be left-padded, so the
 * last position is every row's last token.
 */
final class YesNoHead extends ScoreHead {
    private final Parameter lmHead; // own parameter, or the tied embedding's
    private final long yes, no;

    /** @param tied the input embedding's weight when the checkpoint ties the head to it, else null */
    YesNoHead(Parameter tied, int vocab, int hidden, long yes, long no) {
        this.lmHead = tied != null ? tied : param("lm_head.weight", vocab, hidden);
        this.yes = yes;
        this.no = no;
    }

    @Override
    public NDArray score(NDArray hidden, NDArray mask) {
        NDArray last = hidden.get(new NDIndex(":, -1, :"));
        NDArray w = weight(lmHead);
        NDArray direction = w.get(yes).sub(w.get(no));
        return last.matMul(direction.expandDims(-1)).squeeze(-1);
    }

    @Override
    public String encoderPrefix() {
        return "model.";
    }
}
