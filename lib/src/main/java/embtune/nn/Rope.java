package embtune.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import embtune.engine.Torch;

/**
 * Rotary position embedding, "default" type, rotate-half convention:
 * {@code inv_freq_i = theta^(-2i/d)}, {@code angle = pos * inv_freq}, and
 * {@code x' = x cos + rotate_half(x) sin} with {@code rotate_half([a, b]) = [-b, a]}.
 * cos and sin tables are built once per length (in float32 like transformers) and kept on the
 * device; the sin table carries rotate_half's sign ({@link #rotate}), so no call builds it.
 */
public final class Rope {
    private final int dim;
    private final double theta, factor;
    private final NDManager manager;
    private NDArray cos, signedSin; // [maxLen, dim]
    private NDArray cosHalf, signedSinHalf; // float16 copies for --precision fp16 (a float32 table would promote q and k)
    private int cached;

    public Rope(int dim, double theta, NDManager manager) {
        this(dim, theta, manager, 1);
    }

    private Rope(int dim, double theta, NDManager manager, double factor) {
        this.dim = dim;
        this.theta = theta;
        this.manager = manager;
        this.factor = factor;
    }

    /**
     * The same rotation times {@code factor}, which its tables carry: for queries, attention's
     * softmax scale, so the scores need no pass of their own (nor a gradient of one).
     */
    public Rope scaled(double factor) {
        return new Rope(dim, theta, manager, this.factor * factor);
    }

    /** Rotates q or k shaped [B, H, T, dim], positions 0..T-1, for a caller that has no further use for x (see {@link #rotateInPlace}). */
    public NDArray applyInPlace(NDArray x) {
        int t = (int) x.getShape().get(2);
        boolean half = x.getDataType() == ai.djl.ndarray.types.DataType.FLOAT16;
        NDArray c, s;
        // the views are taken under the lock: a pass on another thread (serve's workers) that grows the tables
        // closes the old ones, and a view keeps the storage it was taken from
        synchronized (this) {
            ensure(t);
            if (half && cosHalf == null) {
                cosHalf = cos.toType(x.getDataType(), false);
                signedSinHalf = signedSin.toType(x.getDataType(), false);
                NDScope.unregister(cosHalf, signedSinHalf);
            }
            c = (half ? cosHalf : cos).get(new NDIndex(":{}", t));
            s = (half ? signedSinHalf : signedSin).get(new NDIndex(":{}", t));
        }
        return rotateInPlace(x, c, s);
    }

    /**
     * {@code x cos + rotate_half(x) sin} with tables that broadcast against x (last axis: the rotated
     * dims). rotate_half(x) sin = [-x2, x1] [s1, s2] = [x2, x1] [-s1, s2], so the sign goes on the
     * table, where whoever builds it puts it once ({@link #signed}), not on (and back through) half of
     * x: {@code signedSin} is [-s1, s2].
     */
    public static NDArray rotate(NDArray x, NDArray cos, NDArray signedSin) {
        return rotate(x, cos, signedSin, false);
    }

    /**
     * {@link #rotate} for a caller that has no further use for x: unless autograd records (inference), x takes
     * the cos product in place, so the rotation makes one fresh array instead of two.
     */
    public static NDArray rotateInPlace(NDArray x, NDArray cos, NDArray signedSin) {
        return rotate(x, cos, signedSin, !Torch.recording());
    }

    private static NDArray rotate(NDArray x, NDArray cos, NDArray signedSin, boolean overwriteX) {
        int last = x.getShape().dimension() - 1;
        // halves by split, not two slices: backward, a split concatenates the halves' gradients into one array, where
        // each slice would fill a zeroed array of x's size
        NDList halves = x.split(new long[] {x.getShape().get(last) / 2}, last);
        NDArray swapped = halves.get(1).concat(halves.get(0), last);
        // in place on the concatenation, which cat lays out contiguously even when x is a transposed view:
        // the result is then contiguous too, so attention's reshapes of q and k are views, not copies
        return swapped.muli(signedSin).addi(overwriteX ? x.muli(cos) : x.mul(cos));
    }

    /** sin values laid out [s1, s2] along rows of {@code dim}, with the first half negated in place: [-s1, s2]. */
    public static float[] signed(float[] sin, int dim) {
        for (int o = 0; o < sin.length; o += dim)
            for (int i = 0; i < dim / 2; i++) sin[o + i] = -sin[o + i];
        return sin;
    }

    /** theta^(-2i/dim) for i < dim/2, in float32 as transformers computes it. */
    public static float[] inverseFrequencies(int dim, double theta) {
        float[] invFreq = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) invFreq[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / dim));
        return invFreq;
    }

    private synchronized void ensure(int t) {
        if (t <= cached) return;
        int len = Math.max(t, 2 * cached);
        float[] invFreq = inverseFrequencies(dim, theta);
        float[] c = new float[len * dim], s = new float[len * dim];
        for (int p = 0; p < len; p++)
            for (int i = 0; i < dim; i++) {
                float angle = p * invFreq[i % (dim / 2)]; // float32 product, as torch computes it
                c[p * dim + i] = (float) (Math.cos(angle) * factor);
                s[p * dim + i] = (float) (Math.sin(angle) * factor);
            }
        if (cos != null) {
            cos.close();
            signedSin.close();
        }
        if (cosHalf != null) {
            cosHalf.close();
            signedSinHalf.close();
            cosHalf = signedSinHalf = null;
        }
        cos = manager.create(c, new Shape(len, dim));
        signedSin = manager.create(signed(s, dim), new Shape(len, dim));
        NDScope.unregister(cos, signedSin); // lives with the model, not with the step that first needed it
        cached = len;
    }
}
