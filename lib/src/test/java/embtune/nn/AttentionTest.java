package embtune.nn;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import embtune.engine.Cast;
import org.junit.jupiter.api.Test;

/**
 * The three ways attention runs agree: the written-out composition (short float32), torch's fused
 * kernel (long float32) and the bf16 kernel, on grouped-query heads with causal and left-padding
 * masks, outputs and gradients.
 */
class AttentionTest {
    static final int B = 2, H = 4, KV = 2, T = 12, D = 8, PAD = 4;
    static final float[] QUERY_SEES_KEYS = new float[B * T];
    static {
        for (int i = 0; i < QUERY_SEES_KEYS.length; i++) QUERY_SEES_KEYS[i] = i < T || i % T >= PAD ? 1 : 0;
    }

    /** Output and q's gradient of attention over these inputs, with the fused kernel from {@code from} keys on. */
    static float[][] run(NDManager m, NDArray q0, NDArray k, NDArray v, NDArray bias, boolean bf16) {
        return run(m, q0, k, v, bias, bf16, false);
    }

    /** Output and the gradients of q, k and v. */
    static float[][] run(NDManager m, NDArray q0, NDArray k0, NDArray v0, NDArray bias, boolean bf16, boolean causalUnpadded) {
        NDArray q = q0.duplicate(), k = k0.duplicate(), v = v0.duplicate();
        q.setRequiresGradient(true);
        k.setRequiresGradient(true);
        v.setRequiresGradient(true);
        float[] out;
        try (var gc = Engine.getInstance().newGradientCollector()) {
            NDArray qq = bf16 ? Cast.to(q, ai.djl.ndarray.types.DataType.BFLOAT16) : q;
            NDArray o = Cast.toFloat32(Attention.attend(qq, k, v, bias, Attention.scale(m, D), causalUnpadded));
            out = o.toFloatArray();
            // a gradient that depends on every output of a query that sees some key; a padded query's output reaches no
            // loss in a model (pooling masks it), and its gradient is whatever each kernel makes of an all-masked row
            NDArray seen = m.create(QUERY_SEES_KEYS, new Shape(B, 1, T, 1));
            gc.backward(o.mul(o).mul(seen).sum());
        }
        return new float[][] {out, q.getGradient().toFloatArray(), k.getGradient().toFloatArray(), v.getGradient().toFloatArray()};
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @Test
    void composedFusedAndBf16Agree() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            m.getEngine().setRandomSeed(3);
            NDArray q = m.randomNormal(new Shape(B, H, T, D)), k = m.randomNormal(new Shape(B, KV, T, D)), v = m.randomNormal(new Shape(B, KV, T, D));
            // row 1 left-padded by PAD: causal, its padded queries see no key at all
            NDArray bias = new Attention.Biases(m).of(m.create(QUERY_SEES_KEYS, new Shape(B, T)), Attention.Pattern.CAUSAL, 0);
            float[][] composed = run(m, q, k, v, bias, false);
            float[][] fused = withFusedFrom(0, () -> run(m, q, k, v, bias, false));
            assertTrue(maxDiff(composed[0], fused[0]) < 1e-5, "fused output " + maxDiff(composed[0], fused[0]));
            assertTrue(maxDiff(composed[1], fused[1]) < 1e-4, "fused gradient " + maxDiff(composed[1], fused[1]));
            float[][] bf16 = run(m, q, k, v, bias, true);
            for (float x : bf16[0]) assertTrue(Float.isFinite(x), "a padded query (sees no key) stays finite in bf16");
            // inputs rounded to 8 significant bits: outputs within a few 2^-8 of values of order 1
            assertTrue(maxDiff(composed[0], bf16[0]) < 0.05 && maxDiff(composed[0], bf16[0]) > 1e-4, "bf16 output " + maxDiff(composed[0], bf16[0]));
        }
    }

    @Test
    void withoutPaddingTheFusedKernelAppliesTheCausalPatternItself() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            m.getEngine().setRandomSeed(4);
            NDArray q = m.randomNormal(new Shape(B, H, T, D)), k = m.randomNormal(new Shape(B, KV, T, D)), v = m.randomNormal(new Shape(B, KV, T, D));
            float[] ones = new float[B * T];
            java.util.Arrays.fill(ones, 1f);
            Attention.Biases biases = new Attention.Biases(m);
            NDArray causal = biases.of(m.create(ones, new Shape(B, T)), Attention.Pattern.CAUSAL, 0);
            float[][] composed = run(m, q, k, v, causal, false);
            // the bias handed over sees everything: only a kernel that applies the causal pattern itself gets the causal result
            NDArray seesAll = biases.of(m.create(ones, new Shape(B, T)), Attention.Pattern.ALL, 0);
            float[][] kernel = withFusedFrom(0, () -> run(m, q, k, v, seesAll, false, true));
            assertTrue(maxDiff(composed[0], kernel[0]) < 1e-5, "is_causal output " + maxDiff(composed[0], kernel[0]));
            // grouped keys and values (KV < H): each is shared by its group's query heads, and so is its gradient
            for (int i = 1; i < 4; i++)
                assertTrue(maxDiff(composed[i], kernel[i]) < 1e-4, "is_causal gradient " + i + ": " + maxDiff(composed[i], kernel[i]));
            float[][] bf16 = run(m, q, k, v, seesAll, true, true);
            assertTrue(maxDiff(composed[0], bf16[0]) < 0.05, "bf16 is_causal output " + maxDiff(composed[0], bf16[0]));
            float[][] shortFp32 = run(m, q, k, v, causal, false, true); // under sdpaFromKeys: the composition with the bias
            assertTrue(maxDiff(composed[0], shortFp32[0]) < 1e-6);
        }
    }

    /**
     * bf16 in a bidirectional encoder (a padding bias, one row for all queries) under sdpaFromKeys keys: float32 products
     * on the bfloat16 values, so the float32 composition of those values exactly; from sdpaFromKeys on, the bf16 kernel.
     */
    @Test
    void shortBidirectionalBf16AttentionComputesInFloat32() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            m.getEngine().setRandomSeed(5);
            NDArray q = m.randomNormal(new Shape(B, H, T, D)), k = m.randomNormal(new Shape(B, H, T, D)), v = m.randomNormal(new Shape(B, H, T, D));
            NDArray padding = new Attention.Biases(m).of(m.create(QUERY_SEES_KEYS, new Shape(B, T)), Attention.Pattern.ALL, 0);
            assertEquals(new Shape(B, 1, 1, T), padding.getShape());
            var bf16 = ai.djl.ndarray.types.DataType.BFLOAT16;
            NDArray qb = Cast.to(q, bf16), kb = Cast.to(k, bf16), vb = Cast.to(v, bf16);
            NDArray out = Attention.attend(qb, kb, vb, padding, Attention.scale(m, D));
            assertFalse(Cast.isBf16(out), "the composition's float32 output, not the kernel's bfloat16");
            NDArray want = Attention.attend(Cast.toFloat32(qb), Cast.toFloat32(kb), Cast.toFloat32(vb), padding, Attention.scale(m, D));
            assertTrue(maxDiff(want.toFloatArray(), out.toFloatArray()) < 1e-6);
            int saved = Attention.sdpaFromKeys;
            Attention.sdpaFromKeys = 0;
            try {
                NDArray kernel = Attention.attend(qb, kb, vb, padding, Attention.scale(m, D));
                assertTrue(Cast.isBf16(kernel), "from sdpaFromKeys keys on: the bf16 kernel");
                assertTrue(maxDiff(want.toFloatArray(), Cast.toFloat32(kernel).toFloatArray()) < 0.05);
            } finally {
                Attention.sdpaFromKeys = saved;
            }
        }
    }

    /**
     * Training a grouped causal model, o_proj takes the kernel's per-group outputs as they are (no merged copy for autograd
     * to keep): the same output and the same gradients for q, k, v and every weight of o_proj (a LoRA adapter's too)
     * as o_proj on the merged heads, float32 and bf16.
     */
    @Test
    void groupedCausalPiecesThroughTheOutputProjectionEqualTheMergedHeads() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            m.getEngine().setRandomSeed(6);
            NDArray q = m.randomNormal(new Shape(B, H, T, D)), k = m.randomNormal(new Shape(B, KV, T, D)), v = m.randomNormal(new Shape(B, KV, T, D));
            for (boolean bf16 : new boolean[] {false, true})
                for (boolean lora : new boolean[] {false, true}) {
                    // one layer per run, alike: gradients accumulate
                    java.util.function.Supplier<Linear> layer = () -> {
                        Linear o = new Linear(H * D, 24, true);
                        if (lora) o.attachLora(4, 2.0, 0, m);
                        RandomInit.apply(o, m, 7); // lora_B random too, so A's gradient is not zero
                        if (bf16) o.computeIn(ai.djl.ndarray.types.DataType.BFLOAT16);
                        return o;
                    };
                    float[][] merged = withFusedFrom(0, () -> project(m, layer.get(), q, k, v, bf16, false));
                    float[][] pieces = withFusedFrom(0, () -> project(m, layer.get(), q, k, v, bf16, true));
                    String what = (bf16 ? "bf16" : "float32") + (lora ? " LoRA" : "");
                    // float32: two products of half the depth summed instead of one (seen: 7e-7 of the largest value); bf16:
                    // the pieces' sum is rounded to bfloat16 once more than the merged product, two roundings of 2^-8 at most
                    double tol = bf16 ? 0x1p-7 : 2e-6;
                    for (int i = 0; i < merged.length; i++) {
                        double scale = 0;
                        for (float x : merged[i]) scale = Math.max(scale, Math.abs(x));
                        assertTrue(maxDiff(merged[i], pieces[i]) <= tol * scale, what + " output/gradient " + i + ": " + maxDiff(merged[i], pieces[i]) + " of " + scale);
                    }
                }
        }
    }

    /** o_proj's output on causal attention over q, k, v (no padding), then the gradients of q, k, v and o's parameters. */
    static float[][] project(NDManager m, Linear o, NDArray q0, NDArray k0, NDArray v0, boolean bf16, boolean pieces) {
        NDArray q = q0.duplicate(), k = k0.duplicate(), v = v0.duplicate();
        var params = new java.util.ArrayList<>(o.namedParameters().values());
        for (NDArray x : new NDArray[] {q, k, v}) x.setRequiresGradient(true);
        params.forEach(p -> p.getArray().setRequiresGradient(true));
        java.util.List<float[]> out = new java.util.ArrayList<>();
        try (var gc = Engine.getInstance().newGradientCollector()) {
            NDArray qq = bf16 ? Cast.to(q, ai.djl.ndarray.types.DataType.BFLOAT16) : q;
            NDArray scale = Attention.scale(m, D);
            NDArray y;
            if (pieces) {
                NDArray[] parts = Attention.causalPieces(qq, k, v, scale, true, 0);
                assertNotNull(parts, "the grouped causal kernel runs");
                assertEquals(H / KV, parts.length);
                y = o.forwardHeads(parts);
            } else {
                y = o.forward(Attention.attendMerged(qq, k, v, null, scale, true, 0));
            }
            y = Cast.toFloat32(y);
            out.add(y.toFloatArray());
            gc.backward(y.mul(y).sum());
        }
        for (NDArray x : new NDArray[] {q, k, v}) out.add(x.getGradient().toFloatArray());
        params.forEach(p -> out.add(p.getArray().getGradient().toFloatArray()));
        return out.toArray(new float[0][]);
    }

    static float[][] withFusedFrom(int keys, java.util.function.Supplier<float[][]> f) {
        int saved = Attention.sdpaFromKeys;
        Attention.sdpaFromKeys = keys;
        try {
            return f.get();
        } finally {
            Attention.sdpaFromKeys = saved;
        }
    }
}
