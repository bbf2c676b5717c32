package embtune.nn;

import embtune.engine.Torch;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** torch ops reached through TorchScript that embtune writes and libtorch compiles: silu, with autograd. */
class SiluTest {
    static final float[] VALUES = {-30f, -4f, -1.5f, -0.25f, 0f, 1e-3f, 0.7f, 3f, 12f};

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    @Test
    void fusedSiluHasTorchsValueAndGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray g = m.create(VALUES, new Shape(VALUES.length));
            g.setRequiresGradient(true);
            NDArray out;
            try (var gc = Engine.getInstance().newGradientCollector()) {
                assertTrue(Torch.recording());
                out = GatedMlp.silu(g);
                gc.backward(out.sum());
            }
            float[] y = out.toFloatArray(), grad = g.getGradient().toFloatArray();
            for (int i = 0; i < VALUES.length; i++) {
                double x = VALUES[i], s = 1 / (1 + Math.exp(-x));
                assertEquals(silu(x), y[i], 1e-6 * Math.max(1, Math.abs(x)), "silu(" + x + ")");
                assertEquals(s * (1 + x * (1 - s)), grad[i], 1e-6, "silu'(" + x + ")");
            }
        }
    }

    @Test
    void theInPlaceFormOverwritesItsInputAndTheMlpGivesTheSameOutputWithAndWithoutAGraph() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(VALUES, new Shape(VALUES.length));
            NDArray result = GatedMlp.SILU_IN_PLACE.apply(x);
            float[] y = x.toFloatArray();
            for (int i = 0; i < VALUES.length; i++) assertEquals(silu(VALUES[i]), y[i], 1e-6 * Math.max(1, Math.abs(VALUES[i])));
            assertArrayEquals(y, result.toFloatArray(), 0f);

            GatedMlp mlp = new GatedMlp(8, 16);
            RandomInit.apply(mlp, m, 3);
            NDArray h = m.randomNormal(new Shape(2, 5, 8));
            NDArray inference = mlp.forward(h);
            NDArray recorded;
            try (var gc = Engine.getInstance().newGradientCollector()) {
                recorded = mlp.forward(h);
            }
            assertArrayEquals(recorded.toFloatArray(), inference.toFloatArray(), 0f, "same kernels, same order: the same bits");
        }
    }
}
