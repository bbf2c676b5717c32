package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import embtune.model.ModelConfig;

/**
 * A transformer that turns token ids and their attention mask ([B, T] each) into token
 * embeddings [B, T, hidden] — the "last_hidden_state" pooling reads from.
 */
public abstract class Encoder extends Module {
    protected final ModelConfig config;

    protected Encoder(ModelConfig config) {
        this.config = config;
    }

    public ModelConfig config() {
        return config;
    }

    public abstract NDArray forward(NDArray inputIds, NDArray attentionMask);

    /** As a DJL block: inputs (input_ids, attention_mask), output (token embeddings). */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(inputs.get(0), inputs.get(1)));
    }

    public static Encoder create(ModelConfig c) {
        return switch (c.family()) {
            case QWEN3, QWEN2 -> new QwenEncoder(c);
            case BERT -> new BertEncoder(c);
            case MODERNBERT -> new ModernBertEncoder(c);
        };
    }

    @Override
    public String toString() {
        return config + " - " + super.toString();
    }
}
