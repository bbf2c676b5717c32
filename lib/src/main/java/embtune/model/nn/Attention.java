package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product attention written out (DJL has no fused SDPA op):
 * {@code softmax(q k^T * scale + bias) v}, and the additive masks that feed it. A masked entry
 * gets float32's lowest value, as transformers does, so a row with nothing to attend to spreads
 * evenly instead of producing NaN.
 */
public final class Attention {
    static final float MASKED = -Float.MAX_VALUE;

    private Attention() {}

    /** q, k, v: [B, H, T, D]; bias broadcastable to [B, H, T, T]. */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(bias);
        NDArray probs = scores.softmax(-1);
        // a query that may see no key at all gets a zero output, as PyTorch's fused attention gives
        NDArray seesSomething = bias.max(new int[] {-1}, true).gt(MASKED / 2).toType(DataType.FLOAT32, false);
        return probs.mul(seesSomething).matMul(v);
    }

    /** Attention over heads [B, H, T, D], returned with the heads merged back: [B, T, H*D]. */
    public static NDArray attendMerged(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale) {
        long[] s = q.getShape().getShape();
        return attend(q, k, v, bias, scale).transpose(0, 2, 1, 3).reshape(s[0], s[2], s[1] * s[3]);
    }

    /** The softmax scale head_dim^-0.5 as a device constant (created once per layer, not per step). */
    public static NDArray scale(ai.djl.ndarray.NDManager manager, int headDim) {
        return manager.create((float) Math.pow(headDim, -0.5));
    }

    /** [B, T, H*D] -> [B, H, T, D]. */
    public static NDArray splitHeads(NDArray x, int heads, int headDim) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], heads, headDim).transpose(0, 2, 1, 3);
    }

    /** [B, T] 0/1 mask -> [B, 1, 1, T] bias: padded keys are never attended to. */
    public static NDArray paddingBias(NDArray mask) {
        NDArray keep = mask.toType(DataType.FLOAT32, false);
        return keep.neg().add(1f).mul(MASKED).expandDims(1).expandDims(1);
    }

    /** [B, T] mask -> [B, 1, T, T] bias for a decoder: key j visible to query i when j <= i and j is not padding. */
    public static NDArray causalBias(NDArray mask) {
        return bias(mask, (i, j) -> j <= i);
    }

    /** Like {@link #paddingBias} but keys farther than {@code halfWindow} from the query are masked too. */
    public static NDArray slidingBias(NDArray mask, int halfWindow) {
        return bias(mask, (i, j) -> Math.abs(i - j) <= halfWindow);
    }

    interface Visible {
        boolean test(int query, int key);
    }

    /** Padding mask combined with a [T, T] pattern of which keys each query may see. */
    private static NDArray bias(NDArray mask, Visible visible) {
        int t = (int) mask.getShape().get(1);
        float[] w = new float[t * t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++) w[i * t + j] = visible.test(i, j) ? 1f : 0f;
        NDArray pattern = mask.getManager().create(w, new Shape(t, t));
        NDArray keep = mask.toType(DataType.FLOAT32, false).expandDims(1).expandDims(1).mul(pattern);
        return keep.neg().add(1f).mul(MASKED);
    }

    /** [B, Hkv, T, D] -> [B, Hkv*rep, T, D]: each kv head serves rep consecutive query heads. */
    public static NDArray repeatKv(NDArray x, int rep) {
        return rep == 1 ? x : x.repeat(1, rep);
    }
}
