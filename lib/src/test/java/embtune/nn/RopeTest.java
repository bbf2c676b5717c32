package embtune.nn;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** rotate with a signed sin table is transformers' {@code x cos + rotate_half(x) sin}, written out here. */
class RopeTest {
    @Test
    void rotateWithTheSignedTableIsXCosPlusRotateHalfXSin() {
        int d = 4, t = 3;
        float[] x = {1f, 2f, 3f, 4f, -1f, 0.5f, 2f, -3f, 0.25f, -2f, 1.5f, 1f};
        float[] cos = new float[t * d], sin = new float[t * d];
        for (int p = 0; p < t; p++)
            for (int i = 0; i < d; i++) {
                cos[p * d + i] = (float) Math.cos(p * (1 + i % 2) * 0.7);
                sin[p * d + i] = (float) Math.sin(p * (1 + i % 2) * 0.7);
            }
        float[] want = new float[t * d];
        for (int p = 0; p < t; p++)
            for (int i = 0; i < d; i++) {
                float rotateHalf = i < d / 2 ? -x[p * d + i + d / 2] : x[p * d + i - d / 2]; // [-x2, x1]
                want[p * d + i] = x[p * d + i] * cos[p * d + i] + rotateHalf * sin[p * d + i];
            }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = Rope.rotate(m.create(x, new Shape(t, d)), m.create(cos, new Shape(t, d)),
                    m.create(Rope.signed(sin.clone(), d), new Shape(t, d)));
            assertArrayEquals(want, out.toFloatArray(), 1e-6f);
        }
    }
}
