package embtune.model;

import embtune.ModelError;
import embtune.nn.Attention;
import embtune.nn.Embedding;
import embtune.nn.LayerNorm;
import embtune.nn.Linear;
import embtune.nn.Module;
import embtune.nn.ModuleList;
import embtune.nn.Rope;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;

/**
 * ModernBERT (gte-modernbert): embeddings then LayerNorm (no biases anywhere), pre-norm layers
 * with packed Wqkv, RoPE whose theta depends on the layer type, and GeGLU MLP
 * {@code Wo(gelu(a) * g)} where {@code [a, g] = Wi(x)}. Global layers attend to every
 * non-padding key; sliding layers only to keys within {@code local_attention/2} positions.
 * Layer 0 has no attention norm (its input is already normed by the embeddings). While training, the config's
 * {@code embedding_dropout}, {@code attention_dropout} (probabilities and Wo's output) and {@code mlp_dropout}
 * (before the MLP's Wo), as transformers applies them; all 0 by default.
 */
public class ModernBertEncoder extends Encoder {
    final Embedding tokEmbeddings;
    final LayerNorm embNorm, finalNorm;
    final ModuleList<Layer> layers;
    final double embeddingDropout;

    public ModernBertEncoder(ModelConfig c) {
        super(c);
        embeddingDropout = c.dropout("embedding_dropout", 0);
        if (!c.hiddenAct().equals("gelu"))
            throw new embtune.ModelError("ModernBERT hidden_activation '" + c.hiddenAct() + "' is not supported (gelu only)");
        Module emb = child("embeddings", new Module() {});
        tokEmbeddings = emb.child("tok_embeddings", new Embedding(c.vocabSize(), c.hiddenSize(), c.padTokenId()));
        embNorm = emb.child("norm", new LayerNorm(c.hiddenSize(), c.normEps(), c.normBias()));
        layers = child("layers", new ModuleList<>());
        for (int i = 0; i < c.layers(); i++) layers.add(new Layer(c, i));
        finalNorm = child("final_norm", new LayerNorm(c.hiddenSize(), c.normEps(), c.normBias()));
    }

    @Override
    public Masks masks(NDArray attentionMask) {
        boolean anySliding = layers.items().stream().anyMatch(l -> l.sliding);
        return new Masks(biases.of(attentionMask, Attention.Pattern.ALL, 0, activations()),
                anySliding ? biases.of(attentionMask, Attention.Pattern.SLIDING, config.slidingWindow() / 2, activations()) : null);
    }

    @Override
    protected String embeddingPrefix() {
        return "embeddings.";
    }

    @Override
    public NDArray embed(NDArray inputIds) {
        return dropout(embNorm.forward(tokEmbeddings.forward(inputIds)), embeddingDropout);
    }

    @Override
    protected java.util.List<Layer> blocks() {
        return layers.items();
    }

    @Override
    public NDArray finish(NDArray h) {
        return finalNorm.forward(h);
    }

    public static class Layer extends Module implements Block {
        final LayerNorm attnNorm, mlpNorm; // attnNorm is null for layer 0
        final Linear wqkv, wo, wi, mlpOut;
        final boolean sliding;
        final int heads, headDim, intermediate;
        final double theta, attentionDropout, mlpDropout;
        Rope rope, queryRope; // queryRope carries the softmax scale

        Layer(ModelConfig c, int index) {
            attentionDropout = c.dropout("attention_dropout", 0);
            mlpDropout = c.dropout("mlp_dropout", 0);
            sliding = c.slidingPerLayer().get(index);
            theta = c.ropeThetaPerLayer().get(index);
            heads = c.heads();
            headDim = c.hiddenSize() / c.heads();
            intermediate = c.intermediateSize();
            attnNorm = index == 0 ? null : child("attn_norm", new LayerNorm(c.hiddenSize(), c.normEps(), c.normBias()));
            Module attn = child("attn", new Module() {});
            wqkv = attn.child("Wqkv", new Linear(c.hiddenSize(), 3L * c.hiddenSize(), c.attentionBias()));
            wo = attn.child("Wo", new Linear(c.hiddenSize(), c.hiddenSize(), c.attentionBias()));
            mlpNorm = child("mlp_norm", new LayerNorm(c.hiddenSize(), c.normEps(), c.normBias()));
            Module mlp = child("mlp", new Module() {});
            wi = mlp.child("Wi", new Linear(c.hiddenSize(), 2L * c.intermediateSize(), c.mlpBias()));
            mlpOut = mlp.child("Wo", new Linear(c.intermediateSize(), c.hiddenSize(), c.mlpBias()));
        }

        @Override
        protected void onLoad(NDManager manager) {
            rope = new Rope(headDim, theta, manager);
            queryRope = rope.scaled(Math.pow(headDim, -0.5));
        }

        @Override
        public NDArray forward(NDArray h, Masks masks) {
            NDArray bias = sliding ? masks.local() : masks.full();
            long b = h.getShape().get(0), t = h.getShape().get(1);
            NDArray x = attnNorm == null ? h : attnNorm.forward(h);
            NDArray qkv = wqkv.forward(x).reshape(b, t, 3, heads, headDim).transpose(2, 0, 3, 1, 4); // [3, B, H, T, D]
            NDArray q = queryRope.applyInPlace(qkv.get(0)), k = rope.applyInPlace(qkv.get(1)), v = qkv.get(2); // q scaled by its tables; qkv is ours to overwrite
            h = h.add(dropout(wo.forward(Attention.attendMerged(q, k, v, bias, null, false, dropoutRate(attentionDropout))), attentionDropout));
            NDArray gated = wi.forward(mlpNorm.forward(h));
            NDArray a = gated.get(new NDIndex("..., :{}", intermediate)), g = gated.get(new NDIndex("..., {}:", intermediate));
            return h.add(mlpOut.forward(dropout(Activation.gelu(a).mul(g), mlpDropout)));
        }
    }
}
