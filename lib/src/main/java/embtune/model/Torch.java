package embtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few PyTorch calls DJL's engine-neutral API does not expose, in one place: the rest of
 * embtune speaks DJL's {@link NDArray} only. Each is a direct JNI call into libtorch.
 */
public final class Torch {
    private Torch() {}

    /** torch's {@code tensor.requires_grad} of a leaf (DJL answers it only for its own parameters). */
    public static boolean requiresGrad(NDArray a) {
        return a instanceof PtNDArray pt && JniUtils.requiresGrad(pt);
    }

    /** torch's {@code out.backward(gradient)}, which DJL's gradient collector does not offer. */
    public static void backward(NDArray out, NDArray gradient) {
        NDArray g = gradient.getDataType() == out.getDataType() ? gradient : gradient.toType(out.getDataType(), false);
        JniUtils.backward((PtNDArray) out, (PtNDArray) g, false, false);
    }

    /** torch's {@code grad.zero_()}: clears an accumulated gradient in place, inf and NaN included. */
    public static void zeroGrad(NDArray parameter) {
        if (parameter instanceof PtNDArray pt) JniUtils.zeroGrad(pt);
        else parameter.getGradient().muli(0);
    }
}
