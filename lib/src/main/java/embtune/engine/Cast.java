package embtune.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A dtype cast that autograd sees. DJL's {@code toType} runs under torch's NoGradGuard, so a
 * cast made with it cuts the graph; an in-place add into a fresh zero tensor of the target type
 * is an ordinary recorded op ({@code zeros.add_(x)}): torch casts the value on the way in and
 * casts the gradient back to x's dtype on the way out. This is what autocast does to weights
 * and activations, written out.
 */
public final class Cast {
    private Cast() {}

    public static NDArray to(NDArray x, DataType type) {
        if (x.getDataType() == type) return x;
        NDArray out = x.getManager().zeros(x.getShape(), type);
        out.addi(x);
        return out;
    }

    public static NDArray toFloat32(NDArray x) {
        return to(x, DataType.FLOAT32);
    }
}
