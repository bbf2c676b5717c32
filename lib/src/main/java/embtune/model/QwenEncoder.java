package embtune.model;

import embtune.engine.Cast;
import embtune.engine.Scopes;
import embtune.engine.Torch;
import embtune.nn.Attention;
import embtune.nn.Embedding;
import embtune.nn.GatedMlp;
import embtune.nn.Linear;
import embtune.nn.Module;
import embtune.nn.ModuleList;
import embtune.nn.RmsNorm;
import embtune.nn.Rope;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDManager;

/**
 * Qwen2 / Qwen3 decoder as an embedding encoder: causal self-attention with GQA and RoPE,
 * SwiGLU MLP, pre-norm RMSNorm; Qwen3 adds RMSNorm on each head of q and k (before RoPE),
 * Qwen2 has q/k/v biases instead.
 * <pre>h = h + attn(input_layernorm(h));  h = h + mlp(post_attention_layernorm(h));  out = norm(h)</pre>
 */
public class QwenEncoder extends Encoder {
    final Embedding embedTokens;
    final ModuleList<Layer> layers;
    final RmsNorm norm;

    public QwenEncoder(ModelConfig c) {
        super(c);
        embedTokens = child("embed_tokens", new Embedding(c.vocabSize(), c.hiddenSize(), c.padTokenId()));
        layers = child("layers", new ModuleList<>());
        for (int i = 0; i < c.layers(); i++) layers.add(new Layer(c, i));
        norm = child("norm", new RmsNorm(c.hiddenSize(), c.normEps()));
    }

    @Override
    public Masks masks(NDArray attentionMask) {
        // no padding anywhere (every row as long as the batch): the fused kernel's is_causal, as transformers passes it
        boolean unpadded = attentionMask.min().toType(DataType.INT64, false).getLong() == 1;
        return new Masks(biases.of(attentionMask, Attention.Pattern.CAUSAL, 0, activations()), null, null, unpadded);
    }

    @Override
    protected String embeddingPrefix() {
        return "embed_tokens.";
    }

    @Override
    public NDArray embed(NDArray inputIds) {
        return embedTokens.forward(inputIds);
    }

    @Override
    protected java.util.List<Layer> blocks() {
        return layers.items();
    }

    @Override
    public NDArray finish(NDArray h) {
        return norm.forward(h);
    }

    public static class Layer extends Module implements Block {
        final RmsNorm inputNorm, postNorm;
        final SelfAttention attn;
        final GatedMlp mlp;

        Layer(ModelConfig c, int index) {
            inputNorm = child("input_layernorm", new RmsNorm(c.hiddenSize(), c.normEps()));
            attn = child("self_attn", new SelfAttention(c, c.ropeThetaPerLayer().get(index)));
            postNorm = child("post_attention_layernorm", new RmsNorm(c.hiddenSize(), c.normEps()));
            mlp = child("mlp", new GatedMlp(c.hiddenSize(), c.intermediateSize()));
        }

        @Override
        public NDArray forward(NDArray h, Masks masks) {
            // residual adds in place on the block outputs, which nothing saved: no fresh [B, T, hidden] array
            NDArray x = h;
            h = residual(Scopes.keep(() -> attn.forward(inputNorm.forward(x), masks)), x);
            NDArray y = h;
            return residual(Scopes.keep(() -> mlp.forward(postNorm.forward(y))), y);
        }
    }

    public static class SelfAttention extends Module {
        final Linear q, k, v, o;
        final RmsNorm qNorm, kNorm; // Qwen3 only
        final int heads, kvHeads, headDim;
        final double theta, attentionDropout;
        Rope rope, queryRope; // queryRope carries the softmax scale
        NDArray scale;

        SelfAttention(ModelConfig c, double theta) {
            attentionDropout = c.dropout("attention_dropout", 0); // 0 in every Qwen2/Qwen3 release; applied while training
            heads = c.heads();
            kvHeads = c.kvHeads();
            headDim = c.headDim();
            this.theta = theta;
            q = child("q_proj", new Linear(c.hiddenSize(), (long) heads * headDim, c.attentionBias()));
            k = child("k_proj", new Linear(c.hiddenSize(), (long) kvHeads * headDim, c.attentionBias()));
            v = child("v_proj", new Linear(c.hiddenSize(), (long) kvHeads * headDim, c.attentionBias()));
            o = child("o_proj", new Linear((long) heads * headDim, c.hiddenSize(), false));
            boolean qk = c.qkNorm();
            qNorm = qk ? child("q_norm", new RmsNorm(headDim, c.normEps())) : null;
            kNorm = qk ? child("k_norm", new RmsNorm(headDim, c.normEps())) : null;
        }

        @Override
        protected void onLoad(NDManager manager) {
            rope = new Rope(headDim, theta, manager);
            queryRope = rope.scaled(Math.pow(headDim, -0.5));
            scale = Attention.scale(manager, headDim);
        }

        /** Self-attention with the batch's causal/padding bias; rotary positions 0..T-1 unless the masks carry their own tables. */
        NDArray forward(NDArray x, Masks masks) {
            long b = x.getShape().get(0), t = x.getShape().get(1);
            NDArray qh = q.forward(x).reshape(b, t, heads, headDim);
            NDArray kh = k.forward(x).reshape(b, t, kvHeads, headDim);
            NDArray vh = Attention.splitHeads(v.forward(x), kvHeads, headDim);
            if (qNorm != null) { // the projections' outputs are ours: the norms may overwrite them
                qh = qNorm.forwardInPlace(qh);
                kh = kNorm.forwardInPlace(kh);
            }
            NDArray q0 = qh.transpose(0, 2, 1, 3), k0 = kh.transpose(0, 2, 1, 3);
            // q leaves the rotation scaled by head_dim^-0.5 (its tables carry it): the scores need no scaling
            qh = Scopes.keep(() -> rotate(q0, masks, true));
            kh = Scopes.keep(() -> rotate(k0, masks, false));
            NDArray q = qh, k = kh;
            double dropout = dropoutRate(attentionDropout);
            // while training, the grouped causal kernel's per-group outputs go to o_proj as they are (no merged copy for it to keep)
            NDArray[] pieces = Torch.recording() ? Attention.causalPieces(q, k, vh, null, masks.causalUnpadded(), dropout) : null;
            if (pieces != null) return o.forwardHeads(pieces);
            return o.forward(Scopes.keep(() -> Attention.attendMerged(q, k, vh, masks.full(), null, masks.causalUnpadded(), dropout)));
        }

        /** RoPE at positions 0..T-1, or at the batch's own positions when the masks carry tables (M-RoPE); queries scaled. */
        private NDArray rotate(NDArray x, Masks masks, boolean query) {
            // x is a view of this layer's own projection (or its norm), used for nothing else: the rotation may overwrite it
            if (masks.rotary() == null) return (query ? queryRope : rope).applyInPlace(x);
            NDArray cos = Cast.to(masks.rotary().get(0), x.getDataType()), sin = Cast.to(masks.rotary().get(1), x.getDataType());
            return query ? Rope.rotateInPlace(x, cos.mul(scale), sin.mul(scale)) : Rope.rotateInPlace(x, cos, sin);
        }
    }
}
