package embtune.nn;

import embtune.engine.Cast;
import embtune.engine.Scopes;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import embtune.engine.Torch;

/**
 * {@code w * x * rsqrt(mean(x^2) + eps)} over the last axis (Qwen's RMSNorm). The inverse root is
 * taken of the small [.., 1] variance and x multiplied by it, as transformers does: a division of
 * the whole x would cost twice as much, forward and backward. The mean square is taken as
 * {@code |x|^2 / d} from the L2 norm, a reduction whose backward is one product
 * ({@code x * grad / |x|}), where {@code x.pow(2).mean()} squares x into a fresh array and
 * differentiates the square with three more.
 */
public class RmsNorm extends Module {
    final Parameter weight;
    private final float eps;
    private final long dim;
    private NDArray epsTensor, minusHalf, dimTensor;

    public RmsNorm(long dim, double eps) {
        this.weight = param("weight", dim);
        this.eps = (float) eps;
        this.dim = dim;
    }

    @Override
    protected void onLoad(NDManager manager) {
        epsTensor = manager.create(eps);
        minusHalf = manager.create(-0.5f);
        dimTensor = manager.create((float) dim);
    }

    /** In float32 whatever the input dtype (Qwen's residual stream squares past float16's range), output in the input's. */
    public NDArray forward(NDArray x) {
        return forward(x, false);
    }

    /**
     * {@link #forward} for a caller that has no further use for x (Qwen's q and k projections): unless autograd
     * records (inference), x is normalised in place, no fresh array.
     */
    public NDArray forwardInPlace(NDArray x) {
        return forward(x, !Torch.recording());
    }

    private NDArray forward(NDArray x, boolean overwriteX) {
        return Scopes.keep(() -> { // x * rsqrt is a full-size temporary
            NDArray x32 = Cast.toFloat32(x);
            NDArray variance = x32.norm(new int[] {-1}, true).square().div(dimTensor); // [.., 1], as mean divides
            NDArray inverseRoot = variance.add(epsTensor).pow(minusHalf);
            // the weight multiplies in place: one fresh array fewer when the weight is frozen (LoRA, inference); when
            // it is trained, autograd keeps a copy of the normalised x for its gradient, as the out-of-place product would
            NDArray normalised = overwriteX ? x32.muli(inverseRoot) : x32.mul(inverseRoot);
            return Cast.to(normalised.muli(array(weight)), x.getDataType());
        });
    }
}
