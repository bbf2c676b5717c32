package embtune.model;

import embtune.engine.Scopes;
import embtune.nn.Attention;
import embtune.nn.Module;
import embtune.nn.Rope;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * A transformer that turns token ids and their attention mask ([B, T] each) into token
 * embeddings [B, T, hidden] — the "last_hidden_state" pooling reads from:
 * <pre>masks = masks(attention_mask); h = embed(ids); for each layer: h = layer(i, h, masks); return finish(h)</pre>
 * The stages are public so gradient checkpointing can run and re-run them one layer at a time.
 */
public abstract class Encoder extends Module {
    protected final ModelConfig config;
    protected Attention.Biases biases;

    /**
     * What every layer reads besides h: attention biases, {@code full} for global layers and
     * {@code local} for sliding ones (or null), and per-batch rotary tables (cos, signed sin: see {@link Rope#rotate}) where
     * positions are not simply 0..T-1 (Qwen2-VL's M-RoPE), else null; {@code causalUnpadded}: {@code full} is
     * the causal pattern alone (no row of the batch is padded), which the fused kernel can apply itself.
     */
    public record Masks(NDArray full, NDArray local, ai.djl.ndarray.NDList rotary, boolean causalUnpadded) {
        public Masks(NDArray full, NDArray local) {
            this(full, local, null, false);
        }

        public Masks(NDArray full, NDArray local, ai.djl.ndarray.NDList rotary) {
            this(full, local, rotary, false);
        }

        /** The arrays, to keep them past the scope they were made in. */
        public java.util.List<NDArray> arrays() {
            java.util.List<NDArray> out = new java.util.ArrayList<>();
            out.add(full);
            if (local != null) out.add(local);
            if (rotary != null) out.addAll(rotary);
            return out;
        }
    }

    protected Encoder(ModelConfig config) {
        this.config = config;
    }

    public ModelConfig config() {
        return config;
    }

    public abstract Masks masks(NDArray attentionMask);

    /** Token ids [B, T] -> the first layer's input [B, T, hidden]. */
    public abstract NDArray embed(NDArray inputIds);

    /**
     * The masks for a whole input list: {@code [ids, mask]} for text models; multimodal encoders
     * read their extra inputs (positions, pixels) from the rest of the list.
     */
    public Masks masks(NDList inputs) {
        return masks(inputs.get(1));
    }

    /** The first layer's input from a whole input list (token embeddings, and image features where there are images). */
    public NDArray embed(NDList inputs) {
        return embed(inputs.get(0));
    }

    /** Where {@link #embed}'s parameters live: "embed_tokens." (Qwen) or "embeddings." (BERT, ModernBERT). */
    protected abstract String embeddingPrefix();

    /**
     * Whether a gradient should flow into the embedding stage: some parameter there requires one
     * (not under LoRA). Asked of the leaf parameters, since DJL cannot say it of a recorded output.
     */
    public boolean embeddingsTrainable() {
        for (var e : namedParameters().entrySet())
            if (e.getKey().startsWith(embeddingPrefix()) && embtune.engine.Torch.requiresGrad(e.getValue().getArray())) return true;
        return false;
    }

    /** A transformer layer: h -> h, reading the attention bias its kind needs from the masks. */
    public interface Block {
        NDArray forward(NDArray h, Masks masks);
    }

    /** The layers, in order. */
    protected abstract java.util.List<? extends Block> blocks();

    public int layerCount() {
        return blocks().size();
    }

    public NDArray layer(int index, NDArray h, Masks masks) {
        return blocks().get(index).forward(h, masks);
    }

    /** The part {@link #reseed} numbers -1: the embeddings (layers are 0, 1, ...). */
    public static final int EMBEDDINGS = -1;

    /** Seeds libtorch's generator for one part of a pass (the embeddings, or layer {@code part}) from the pass's dropout seed. */
    public static void reseed(long dropoutSeed, int part) {
        embtune.engine.Seeds.engine(dropoutSeed, embtune.engine.Seeds.Stream.DROPOUT, part);
    }

    /** After the last layer (a final norm, or nothing); per position, on [.., D]. */
    public NDArray finish(NDArray h) {
        return h;
    }

    public NDArray forward(NDArray inputIds, NDArray attentionMask) {
        return forward(new NDList(inputIds, attentionMask));
    }

    /** Token embeddings [B, T, D]: the layers, then {@link #finish}. */
    public NDArray forward(NDList inputs) {
        NDArray last = hidden(inputs);
        return Scopes.keep(() -> finish(last));
    }

    /** The last layer's output, before {@link #finish} (which works per position, so a pooling may run it on fewer rows). */
    public NDArray hidden(NDList inputs) {
        return hidden(inputs, null);
    }

    /**
     * As {@link #hidden(NDList)}, the engine reseeded from {@code dropoutSeed} before the embeddings and before each
     * layer ({@link #reseed}): a training pass draws its dropout masks part by part, so gradient checkpointing, which
     * re-runs one part at a time, draws the same ones. Null: no reseeding.
     */
    public NDArray hidden(NDList inputs, Long dropoutSeed) {
        Masks masks = masks(inputs);
        if (dropoutSeed != null) reseed(dropoutSeed, EMBEDDINGS);
        NDArray h = Scopes.keep(() -> embed(inputs));
        for (int i = 0; i < layerCount(); i++) {
            if (dropoutSeed != null) reseed(dropoutSeed, i);
            NDArray next = scoped(i, h, masks);
            h.close(); // the handle only: what autograd saved of it stays until the backward pass
            h = next;
        }
        return h;
    }

    /**
     * One layer inside its own scope: the Java handles of its intermediates close as soon as it
     * returns, so only what autograd saved for the backward pass stays on the device (DJL frees
     * native memory on close, not when the Java object becomes unreachable).
     */
    public NDArray scoped(int index, NDArray h, Masks masks) {
        return Scopes.keep(() -> layer(index, h, masks));
    }

    @Override
    protected void onLoad(NDManager manager) {
        biases = new Attention.Biases(manager);
    }

    /** The encoder of the config's family, parameters not yet allocated. */
    public static Encoder create(ModelConfig c) {
        return c.family().encoder(c);
    }

    @Override
    public String toString() {
        return config + " - " + super.toString();
    }
}
