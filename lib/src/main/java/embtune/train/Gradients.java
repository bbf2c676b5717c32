package embtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import java.util.Collection;

/** Whole-model gradient operations: the global norm and clipping by it (AdamW drops the gradients after its step). */
public final class Gradients {
    private Gradients() {}

    /**
     * Scales every gradient by min(1, maxNorm / (norm + 1e-6)) where norm is the L2 norm of all
     * gradients together (torch's clip_grad_norm_), and returns that pre-clip norm as a device
     * scalar: reading it is the caller's choice, so clipping itself never waits for the device.
     * With {@code lossScale} (float16 training; null otherwise) the gradients are of a scaled loss:
     * the norm is measured unscaled, and unscaling and clipping are one multiply per gradient. The
     * returned norm is infinite or NaN when a gradient overflowed.
     */
    public static NDArray clipGlobalNorm(Collection<Parameter> params, double maxNorm, NDArray lossScale) {
        NDList norms = new NDList();
        for (Parameter p : params) norms.add(p.getArray().getGradient().norm());
        NDArray total = NDArrays.stack(norms).norm();
        if (lossScale != null) total = total.div(lossScale);
        NDArray coef = null;
        if (maxNorm > 0) coef = total.add(1e-6f).pow(-1f).mul((float) maxNorm).clip(0f, 1f);
        if (lossScale != null) coef = coef == null ? lossScale.pow(-1f) : coef.div(lossScale);
        if (coef != null) for (Parameter p : params) p.getArray().getGradient().muli(coef);
        return total;
    }
}
