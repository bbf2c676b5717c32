package embtune.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
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

    /**
     * Whether ops are being recorded for a backward pass (torch's grad mode, which DJL's gradient
     * collector turns on). Asked instead of {@link #requiresGrad} of an op's output, which DJL
     * answers false for every recorded non-leaf.
     */
    public static boolean recording() {
        return JniUtils.isGradMode();
    }

    /**
     * torch's {@code set_num_threads(n)}: how many threads one op may use. libtorch keeps it per
     * calling thread (new threads take the last value set), so each thread that runs a model sets
     * its own share of the cores before its first forward pass.
     */
    public static void intraOpThreads(int n) {
        JniUtils.setNumThreads(n);
    }

    public static int intraOpThreads() {
        return JniUtils.getNumThreads();
    }

    /** torch's {@code out.backward(gradient)}, which DJL's gradient collector does not offer. */
    public static void backward(NDArray out, NDArray gradient) {
        NDArray g = gradient.getDataType() == out.getDataType() ? gradient : gradient.toType(out.getDataType(), false);
        JniUtils.backward((PtNDArray) out, (PtNDArray) g, false, false);
    }

    /**
     * torch's {@code param.grad = None} ({@code zero_grad(set_to_none=True)}, its default): the
     * gradient's memory is freed and the next backward pass allocates it afresh, so gradients take
     * no room during the forward pass, when the saved activations peak (a large vocabulary's
     * embedding gradient is the size of the table). DJL can only zero a gradient in place, so the
     * parameter gets a new leaf over the same storage ({@code detach()}, which has no gradient)
     * and the old leaf, with its gradient, is closed.
     */
    public static void dropGradient(Parameter parameter) {
        NDArray old = parameter.getArray();
        NDArray fresh = old.stopGradient();
        NDScope.unregister(fresh); // lives with the model, like the array it replaces
        fresh.setName(old.getName());
        fresh.setRequiresGradient(requiresGrad(old));
        try {
            PARAMETER_ARRAY.set(parameter, fresh); // Parameter.setArray refuses a second array
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        old.close();
    }

    private static final java.lang.reflect.Field PARAMETER_ARRAY;

    static {
        try {
            PARAMETER_ARRAY = Parameter.class.getDeclaredField("array");
            PARAMETER_ARRAY.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
