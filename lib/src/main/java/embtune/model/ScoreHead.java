package embtune.model;

import ai.djl.ndarray.NDArray;
import embtune.nn.Module;

/**
 * What turns a reranker's encoder output into one relevance logit per (query, document) row:
 * token states {@code [B, T, D]} (after the encoder's final norm) and the attention mask
 * {@code [B, T]} in, scores {@code [B]} out. Its parameters are named as in the transformers
 * checkpoint, relative to the model root ({@code classifier.weight}, {@code pooler.dense.weight}).
 */
public abstract class ScoreHead extends Module {
    public abstract NDArray score(NDArray hidden, NDArray mask);

    /** Where the transformers class keeps the encoder: {@code bert.} or {@code model.}. */
    public abstract String encoderPrefix();

    /** A head parameter's tensor name in the checkpoint (most sit at the root). */
    public String savedName(String parameter) {
        return parameter;
    }

    /** Whether the encoder reads the pair's token types (BERT's segment embeddings). */
    public boolean wantsTokenTypes() {
        return false;
    }
}
