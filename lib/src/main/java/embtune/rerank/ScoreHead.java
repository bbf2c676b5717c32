package embtune.rerank;

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

    /** Its tensors' names in the saved checkpoint (the encoder's get the family's wrapper prefix; a head's mostly none). */
    public String savedName(String parameter) {
        return parameter;
    }
}
