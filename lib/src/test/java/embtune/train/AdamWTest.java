package embtune.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Three AdamW steps against torch.optim.AdamW (lr 0.1, betas 0.9/0.999, eps 1e-8, weight decay
 * 0.01; numbers printed by torch 2.13), through torch's fused kernel and through the composed ops.
 */
class AdamWTest {
    static final float[][] GRADS = {{0.5f, 0.1f, -0.3f, 0f}, {-0.2f, 0.4f, 0.05f, 1e-3f}, {0.3f, -0.6f, 0.2f, -2f}};
    static final float[] PARAMS = {0.8082329034805298f, -2.168200969696045f, 3.1442577838897705f, 0.238765150308609f};
    static final float[] EXP_AVG = {0.05250000208616257f, -0.015900002792477608f, 0.00019999887445010245f, -0.1999099999666214f};
    static final float[] EXP_AVG_SQ = {0.0003794602816924453f, 0.0005298200412653387f, 0.0001323175965808332f, 0.00400000112131238f};

    @Test
    void fusedKernelMatchesTorch() {
        assertMatchesTorch(true);
    }

    @Test
    void composedOpsMatchTorch() {
        assertMatchesTorch(false);
    }

    static void assertMatchesTorch(boolean fused) {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = Fp16Test.wrap(m.create(new float[] {1f, -2f, 3f, 0.25f}));
            p.getArray().setRequiresGradient(true);
            AdamW adam = new AdamW(Map.of("w", p), m, 0.9, 0.999, 1e-8, 0.01, fused);
            assertEquals(fused, adam.usesFusedKernel(), adam.toString());
            for (float[] g : GRADS) {
                Fp16Test.setGradient(p, g);
                adam.step(0.1);
                assertNull(ai.djl.pytorch.jni.JniUtils.getGradient((ai.djl.pytorch.engine.PtNDArray) p.getArray()), "the step drops the gradient");
            }
            assertArrayEquals(PARAMS, p.getArray().toFloatArray(), 1e-6f);
            assertArrayEquals(EXP_AVG, adam.state().get("exp_avg.w").toFloatArray(), 1e-7f);
            assertArrayEquals(EXP_AVG_SQ, adam.state().get("exp_avg_sq.w").toFloatArray(), 1e-9f);
            assertTrue(embtune.engine.Torch.requiresGrad(p.getArray()), "the weights still take gradients");
            assertEquals(3, adam.steps());
        }
    }
}
