package embtune.nn;

import embtune.engine.Scopes;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import org.junit.jupiter.api.Test;

/** The two memory mechanisms of the forward pass, checked directly (the fixture tests check their numbers in whole models). */
class ScopedOpsTest {
    @Test
    void aKeptResultClosesWithTheEnclosingScopeAndItsTemporariesAtOnce() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, 2f});
            NDArray[] temporary = new NDArray[1];
            NDArray kept;
            try (NDScope outer = new NDScope()) {
                outer.suppressNotUsedWarning();
                kept = Scopes.keep(() -> (temporary[0] = x.mul(x)).add(x));
                assertTrue(temporary[0].isReleased(), "intermediates close when the part returns");
                assertFalse(kept.isReleased());
                assertArrayEquals(new float[] {2f, 6f}, kept.toFloatArray());
            }
            assertTrue(kept.isReleased(), "the result closes with the enclosing scope, not only with its manager");
            assertFalse(x.isReleased());
        }
    }

    @Test
    void composedSiluWithAGraphHasTheSameValueToTheBitAndTorchsGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = {-30f, -4f, -1.5f, -0.25f, 0f, 1e-3f, 0.7f, 3f, 12f};
            NDArray g = m.create(values, new Shape(values.length));
            NDArray plain = g.mul(Activation.sigmoid(g)); // no graph: the plain product
            g.setRequiresGradient(true);
            NDArray out;
            try (var gc = Engine.getInstance().newGradientCollector()) {
                out = GatedMlp.composedSilu(g);
                gc.backward(out.sum());
            }
            assertArrayEquals(plain.toFloatArray(), out.toFloatArray(), 0f, "value unchanged to the bit");
            float[] grad = g.getGradient().toFloatArray();
            for (int i = 0; i < values.length; i++) {
                double s = 1 / (1 + Math.exp(-values[i]));
                assertEquals(s * (1 + values[i] * (1 - s)), grad[i], 1e-6, "silu'(" + values[i] + ")"); // torch's silu_backward
            }
        }
    }
}
