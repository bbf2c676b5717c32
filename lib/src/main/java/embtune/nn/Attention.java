package embtune.nn;

import embtune.engine.Cast;
import embtune.engine.Scopes;
import embtune.engine.ScriptFunction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import embtune.engine.Torch;
import java.util.HashMap;
import java.util.Map;

/**
 * Scaled dot-product attention, {@code softmax(q k^T * scale + bias) v}, and the additive masks that
 * feed it. bfloat16 runs torch's fused kernel (scaled_dot_product_attention, reached through
 * TorchScript: DJL does not bind it), and so does float32 from {@link #SDPA_FROM_KEYS} keys on; short
 * float32 inputs (and short bfloat16 ones of a bidirectional encoder, in float32), float16, and a libtorch that
 * cannot compile the call run the composition written out below. A masked entry
 * gets float32's lowest value, as transformers does, so a row with nothing to attend to spreads
 * evenly instead of producing NaN. Under float16 everything stays float16: q is scaled before the
 * matmul (smaller scores), masked entries get -30000 (finite: -65504 plus a score would round to
 * -inf and a fully masked row to NaN), and softmax runs on the half tensor (PyTorch's CUDA kernel
 * accumulates in float32). Only the [T, T] probabilities are kept for the backward pass, in
 * half precision: a quarter of what a float32 upcast would keep. A training model's dropout on the probabilities
 * is torch's (the kernels' dropout_p, or torch.dropout after the written-out softmax), drawn from libtorch's generator.
 */
public final class Attention {
    static final float MASKED = -Float.MAX_VALUE;
    static final float MASKED_HALF = -30000f;
    /** From this many keys on, float32 attention runs torch's fused kernel (chosen by the bench-cpu long-text rows). */
    public static final int SDPA_FROM_KEYS = 256;
    // a bench (-Dembtune.sdpaFromKeys=N) or a test moves it to compare the two paths
    static int sdpaFromKeys = Integer.getInteger("embtune.sdpaFromKeys", SDPA_FROM_KEYS);

    private Attention() {}

    /**
     * q [B, H, T, D] (scale null: q already carries the softmax scale, see {@link Rope#scaled});
     * k, v [B, Hkv, T, D] with Hkv dividing H: each key/value head serves H/Hkv
     * consecutive query heads (grouped-query attention). Rather than repeating keys and values
     * H/Hkv times (two copies that autograd would also keep), q is viewed as [B, Hkv, rep*T, D]:
     * each group's queries meet their shared keys in one matmul. bias [B, 1, T|1, T] in their
     * dtype (see {@link Biases#of}). A query that sees no key gets an (almost) even mix of the values here;
     * {@link #attendMerged} zeroes it.
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale) {
        return attend(q, k, v, bias, scale, false);
    }

    /**
     * As above; {@code causalUnpadded}: the bias is the causal pattern alone (no padding in the batch), so the fused
     * kernel may apply it itself (is_causal, as transformers calls it then), skipping the scores above the diagonal.
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, boolean causalUnpadded) {
        return attend(q, k, v, bias, scale, causalUnpadded, 0);
    }

    /**
     * As above, with dropout at rate {@code dropout} on the attention probabilities (a training model's
     * attention_probs_dropout_prob / attention_dropout; 0 otherwise), as transformers passes it to sdpa.
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, boolean causalUnpadded, double dropout) {
        long[] s = q.getShape().getShape();
        long b = s[0], heads = s[1], t = s[2], d = s[3], kvHeads = k.getShape().get(1), rep = heads / kvHeads, keys = k.getShape().get(2);
        boolean bf16 = Cast.isBf16(q) || Cast.isBf16(k) || Cast.isBf16(v);
        // bf16 in a bidirectional encoder (its bias is one row for every query, [B, 1, 1, keys]: BERT, ModernBERT) below
        // SDPA_FROM_KEYS keys: float32 products through the written-out composition (bfloat16 q, k, v are exact in
        // float32), where the fused bf16 kernel made MiniLM's training step 1.7x slower. Causal models keep the kernel:
        // faster on Qwen3's shapes, and the composition took the tiny Qwen3's bf16 InfoNCE run out of Bf16Test's bound
        if (bf16 && keys < sdpaFromKeys && !causalUnpadded && bias != null && bias.getShape().get(2) == 1)
            return attend(Cast.toFloat32(q), Cast.toFloat32(k), Cast.toFloat32(v), bias, scale, false, dropout);
        // float32: torch's fused kernel from SDPA_FROM_KEYS keys on, where it wins (bench/README.md); below, the written-out
        // composition, whose in-place mask and softmax cost less at short lengths
        boolean fusedFloat32 = !bf16 && fusedFloat32(q, k);
        ScriptFunction causal = causalKernel(q, k, v, causalUnpadded, dropout, SDPA_CAUSAL, SDPA_CAUSAL_BF16);
        if (causal != null) return causal.apply(q, k, v, scale == null ? one(q) : scale);
        NDArray grouped = q.reshape(b, kvHeads, rep * t, d);
        if (bf16) return attendBf16(grouped, k, v, perQueryRow(bias, rep), scale, dropout).reshape(b, heads, t, d);
        if (fusedFloat32 && SDPA.available())
            return SDPA.apply(grouped, k, v, perQueryRow(bias, rep), scale == null ? one(q) : scale, rate(q, dropout)).reshape(b, heads, t, d);
        // the bias is added in place (nothing saved the scaled scores: matmul keeps its inputs, softmax its output),
        // and the scores are freed as soon as the probabilities exist. It is added to the product itself, not to a
        // [.., rep, T, keys] view of it: autograd would rebuild the whole base's gradient for an in-place op on a view
        NDArray probs = Scopes.keep(() -> softmax(scores(grouped, k, scale).addi(perQueryRow(bias, rep))));
        if (dropout > 0) probs = ai.djl.nn.norm.Dropout.dropout(probs, (float) dropout, true).head();
        return probs.matMul(v).reshape(b, heads, t, d);
    }

    // bf16 as autocast runs it: both products in bfloat16, the softmax (and the bias it adds) in float32
    static final ScriptFunction ATTEND_BF16 = new ScriptFunction("AttendBf16", "q, k, v, bias, scale, dropout", """
            s = torch.matmul(torch.to(q, 15), torch.to(k, 15).transpose(-1, -2))
            p = torch.dropout(torch.softmax(torch.to(s, 6) * scale + bias, -1), float(dropout), True)
            return torch.matmul(torch.to(p, 15), torch.to(v, 15))""");

    // torch's fused attention: the [T, keys] scores never exist whole (flash tiling), the backward keeps one logsumexp per row
    static final ScriptFunction SDPA = new ScriptFunction("Sdpa", "q, k, v, bias, scale, dropout",
            "return torch.scaled_dot_product_attention(q, k, v, bias, float(dropout), False, scale=float(scale))");

    // causal with no padding: no mask array, the kernel skips the blocks above the diagonal. With grouped keys and
    // values, one call per query head of each group (q as [B, Hkv, rep, T, D], unbound along rep) against the shared
    // k, v: autograd keeps k and v once, where repeating them to the query heads (transformers' repeat_kv) would keep
    // copies rep times their size. libtorch 2.7.1's enable_gqa runs the unfused math on the CPU, and its CPU flash
    // kernel called directly reads past grouped keys. The outputs are stacked as [B, T, Hkv, rep, D], the merged heads'
    // layout, so merging them afterwards is a view (training hands the outputs to o_proj unstacked: causalPieces)
    static final ScriptFunction SDPA_CAUSAL = causal(false);
    static final ScriptFunction SDPA_CAUSAL_BF16 = causal(true);

    // the causal kernel once per query head of each group (q viewed [B, Hkv, rep, T, D], unbound along rep): rep outputs [B, Hkv, T, D]
    private static final String PER_QUERY_HEAD_OF_A_GROUP = "[torch.scaled_dot_product_attention(g, k, v, None, 0.0, True, scale=float(scale))"
            + " for g in q.unflatten(1, [k.size(1), q.size(1) // k.size(1)]).unbind(2)]";

    private static ScriptFunction causal(boolean bf16) {
        return new ScriptFunction(bf16 ? "SdpaCausalBf16" : "SdpaCausal", "q, k, v, scale", toBf16(bf16)
                + "if q.size(1) == k.size(1):\n"
                + "    return torch.scaled_dot_product_attention(q, k, v, None, 0.0, True, scale=float(scale))\n"
                + "outs = " + PER_QUERY_HEAD_OF_A_GROUP + "\n"
                + "return torch.stack([o.transpose(1, 2) for o in outs], 3).flatten(2, 3).transpose(1, 2)");
    }

    /** TorchScript lines casting q, k and v to bfloat16 under bf16 (nothing otherwise). */
    private static String toBf16(boolean bf16) {
        return bf16 ? "q = torch.to(q, 15)\nk = torch.to(k, 15)\nv = torch.to(v, 15)\n" : "";
    }

    /**
     * The causal kernel for these inputs (of {@code float32} or {@code bf16}, as q, k, v are), or null where it does not run:
     * it needs a causal bias with no padding, as many queries as keys and no dropout; float32 runs it from
     * {@link #SDPA_FROM_KEYS} keys on, bf16 at every length.
     */
    private static ScriptFunction causalKernel(NDArray q, NDArray k, NDArray v, boolean causalUnpadded, double dropout,
            ScriptFunction float32, ScriptFunction bf16) {
        long t = q.getShape().get(2), keys = k.getShape().get(2);
        if (!causalUnpadded || t != keys || dropout != 0) return null;
        if (Cast.isBf16(q) || Cast.isBf16(k) || Cast.isBf16(v)) return bf16.available() ? bf16 : null;
        return fusedFloat32(q, k) && float32.available() ? float32 : null;
    }

    /** Whether float32 attention runs torch's fused kernel: from {@link #SDPA_FROM_KEYS} keys on, where it wins (bench/README.md). */
    private static boolean fusedFloat32(NDArray q, NDArray k) {
        return k.getShape().get(2) >= sdpaFromKeys && q.getDataType() == DataType.FLOAT32 && k.getDataType() == DataType.FLOAT32;
    }

    /**
     * Causal attention over grouped keys (H = rep * Hkv, rep > 1) where the fused causal kernel runs, returned as the
     * kernel's rep outputs rather than merged: piece r [B, Hkv, T, D] holds query heads r, rep + r, 2 rep + r, ..., so the
     * merged [B, T, H*D] has its columns laid out [Hkv, rep, D] (see {@link Linear#forwardHeads}). Autograd keeps each
     * kernel's output for its backward; merging the heads (this libtorch's kernel lays its output out [B, Hkv, T, D]) makes a
     * copy that the next layer would keep as well. Null where the causal kernel does not run or the heads are not grouped:
     * call {@link #attendMerged} then.
     */
    public static NDArray[] causalPieces(NDArray q, NDArray k, NDArray v, NDArray scale, boolean causalUnpadded, double dropout) {
        if (q.getShape().get(1) == k.getShape().get(1)) return null;
        ScriptFunction pieces = causalKernel(q, k, v, causalUnpadded, dropout, CAUSAL_PIECES, CAUSAL_PIECES_BF16);
        return pieces == null ? null : pieces.applyAll(q, k, v, scale == null ? one(q) : scale).toArray(new NDArray[0]);
    }

    static final ScriptFunction CAUSAL_PIECES = causalPieces(false);
    static final ScriptFunction CAUSAL_PIECES_BF16 = causalPieces(true);

    private static ScriptFunction causalPieces(boolean bf16) {
        return new ScriptFunction(bf16 ? "SdpaCausalPiecesBf16" : "SdpaCausalPieces", "q, k, v, scale", "List[Tensor]",
                toBf16(bf16) + "return " + PER_QUERY_HEAD_OF_A_GROUP);
    }

    // the same under bf16 (what transformers runs under autocast): the scores stay float32 inside the kernel, where
    // a bfloat16 matmul would round them before the softmax. The mask must be in q's dtype: float32's lowest value
    // would round to -inf in bfloat16 (a row that sees nothing would become NaN), so it is clamped to a finite one
    static final ScriptFunction SDPA_BF16 = new ScriptFunction("SdpaBf16", "q, k, v, bias, scale, dropout", """
            m = torch.to(torch.clamp(bias, -3.0e38), 15)
            return torch.scaled_dot_product_attention(torch.to(q, 15), torch.to(k, 15), torch.to(v, 15), m, float(dropout), False, scale=float(scale))""");

    /** q [B, G, R, D] against k, v [B, G, keys, D] with a float32 bias broadcasting to [B, G, R, keys]; the output is bfloat16. */
    static NDArray attendBf16(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, double dropout) {
        NDArray s = scale == null ? one(q) : scale, p = rate(q, dropout);
        return SDPA_BF16.available() ? SDPA_BF16.apply(q, k, v, bias, s, p) : ATTEND_BF16.apply(q, k, v, bias, s, p);
    }

    private static NDArray one(NDArray like) {
        return like.getManager().create(1f);
    }

    private static NDArray rate(NDArray like, double dropout) {
        return like.getManager().create((float) dropout);
    }

    /**
     * The bias [B, 1, T|1, keys] for scores laid out [B, Hkv, rep*T, keys]: as it is when it broadcasts
     * (one row for all queries, or one query head per key head), else repeated over the rep query heads
     * of a group ([B, 1, rep*T, keys], small: no head axis).
     */
    static NDArray perQueryRow(NDArray bias, long rep) {
        long[] s = bias.getShape().getShape();
        if (rep == 1 || s[2] == 1) return bias;
        return bias.expandDims(2).broadcast(s[0], 1, rep, s[2], s[3]).reshape(s[0], 1, rep * s[2], s[3]);
    }

    // softmax written over its input (each row is read before it is written): no second [.., T, keys] array
    static final ScriptFunction SOFTMAX_IN_PLACE = new ScriptFunction("SoftmaxInPlace", "x", "return torch.softmax(x, -1, out=x)");

    /** Softmax over the last axis; unless autograd records (it keeps the output, not the input), over the scores themselves. */
    private static NDArray softmax(NDArray scores) {
        return !Torch.recording() && SOFTMAX_IN_PLACE.available() ? SOFTMAX_IN_PLACE.apply(scores) : scores.softmax(-1);
    }

    /** q k^T * scale (scale null: q comes scaled); under float16 q is scaled first (smaller scores). */
    private static NDArray scores(NDArray q, NDArray k, NDArray scale) {
        NDArray kT = k.transpose(0, 1, 3, 2);
        if (scale == null) return q.matMul(kT);
        return q.getDataType() == DataType.FLOAT16 ? q.mul(scale).matMul(kT) : q.matMul(kT).muli(scale); // in place: no second T x T array
    }

    /**
     * Attention over heads (q [B, H, T, D], k and v [B, Hkv, T, D]), returned with the heads merged
     * back: [B, T, H*D]. Unless autograd records, a query that may see no key at all gets a zero output, as PyTorch's fused
     * attention gives (transformers' hidden states at left padding): exp(max bias) is exactly 1 where
     * some key is visible (max 0) and 0 where all are masked (-MAX), applied in place to the merged
     * copy, so it costs neither a T x T array nor another [B, T, H*D] one. {@code causalUnpadded}: a causal bias with
     * no padding in the batch; {@code dropout}: the rate on the attention probabilities, 0 outside training (see
     * {@link #attend(NDArray, NDArray, NDArray, NDArray, NDArray, boolean, double)}).
     */
    public static NDArray attendMerged(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, boolean causalUnpadded, double dropout) {
        long[] s = q.getShape().getShape();
        return Scopes.keep(() -> {
            NDArray merged = attend(q, k, v, bias, scale, causalUnpadded, dropout).transpose(0, 2, 1, 3).reshape(s[0], s[2], s[1] * s[3]);
            if (causalUnpadded) return merged; // every query sees at least itself
            // while autograd records (training), the zeroing is left out: such a query's row feeds nothing but its own
            // position's later rows (masked as a key, excluded by pooling), so loss and gradients are the same without it
            if (Torch.recording()) return merged;
            NDArray seesSomething = bias.max(new int[] {-1}, true).exp().reshape(bias.getShape().get(0), -1, 1); // [B, T|1, 1], v's dtype
            return merged.muli(seesSomething);
        });
    }

    /** The softmax scale head_dim^-0.5 as a device constant (created once per layer, not per step). */
    public static NDArray scale(NDManager manager, int headDim) {
        return manager.create((float) Math.pow(headDim, -0.5));
    }

    /** [B, T, H*D] -> [B, H, T, D]. */
    public static NDArray splitHeads(NDArray x, int heads, int headDim) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], heads, headDim).transpose(0, 2, 1, 3);
    }

    /** Which keys a query may see, besides padding. */
    public enum Pattern {
        ALL, CAUSAL, SLIDING;

        boolean visible(int query, int key, int halfWindow) {
            return switch (this) {
                case ALL -> true;
                case CAUSAL -> key <= query;
                case SLIDING -> Math.abs(query - key) <= halfWindow;
            };
        }
    }

    /**
     * Builds additive biases from a [B, T] 0/1 mask on the device. The [T, T] visibility patterns
     * are made once per length and kept with the model, and the constants are device tensors, so a
     * forward pass uploads nothing but its token ids and mask.
     */
    public static final class Biases {
        private final NDManager manager;
        private final NDArray one, masked, maskedHalf;
        private final Map<String, NDArray> patterns = new HashMap<>();

        public Biases(NDManager manager) {
            this.manager = manager;
            this.one = keep(manager.create(1f));
            this.masked = keep(manager.create(-MASKED));
            this.maskedHalf = keep(manager.create(-MASKED_HALF));
        }

        /** [B, T] -> [B, 1, 1, T] for ALL, else [B, 1, T, T]: 0 where visible, float32's lowest elsewhere. */
        public NDArray of(NDArray mask, Pattern pattern, int halfWindow) {
            return of(mask, pattern, halfWindow, DataType.FLOAT32);
        }

        /** The same in the attention's dtype: float16 biases mask with -30000, finite in half precision. */
        public NDArray of(NDArray mask, Pattern pattern, int halfWindow, DataType type) {
            NDArray keep = mask.toType(DataType.FLOAT32, false).expandDims(1).expandDims(1);
            if (pattern != Pattern.ALL) keep = keep.mul(pattern((int) mask.getShape().get(1), pattern, halfWindow));
            boolean half = type == DataType.FLOAT16;
            NDArray bias = keep.sub(one).mul(half ? maskedHalf : masked); // (keep - 1) * MAX: 0 or -MAX
            return half ? bias.toType(type, false) : bias;
        }

        /** The pattern for length t: a [:t, :t] view of one table per kind, grown by doubling (like Rope's). */
        private synchronized NDArray pattern(int t, Pattern pattern, int halfWindow) {
            String key = pattern + ":" + halfWindow;
            NDArray table = patterns.get(key);
            if (table == null || table.getShape().get(0) < t) {
                int len = table == null ? t : (int) Math.max(t, 2 * table.getShape().get(0));
                float[] w = new float[len * len];
                for (int i = 0; i < len; i++)
                    for (int j = 0; j < len; j++) w[i * len + j] = pattern.visible(i, j, halfWindow) ? 1f : 0f;
                if (table != null) table.close();
                table = keep(manager.create(w, new Shape(len, len)));
                patterns.put(key, table);
            }
            return table.getShape().get(0) == t ? table : table.get(new ai.djl.ndarray.index.NDIndex(":{}, :{}", t, t));
        }

        private static NDArray keep(NDArray a) {
            NDScope.unregister(a); // lives with the model, not with the step that first needed it
            return a;
        }
    }
}
