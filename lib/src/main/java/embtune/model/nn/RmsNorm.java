package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

/** {@code w * x / sqrt(mean(x^2) + eps)} over the last axis (Qwen's RMSNorm). */
public class RmsNorm extends Module {
    final Parameter weight;
    private final float eps;
    private NDArray epsTensor;

    public RmsNorm(long dim, double eps) {
        this.weight = param("weight", dim);
        this.eps = (float) eps;
    }

    @Override
    protected void onLoad(NDManager manager) {
        epsTensor = manager.create(eps);
    }

    /** In float32 whatever the input dtype (Qwen's residual stream squares past float16's range), output in the input's. */
    public NDArray forward(NDArray x) {
        NDArray x32 = Cast.toFloat32(x);
        NDArray variance = x32.square().mean(new int[] {-1}, true);
        return Cast.to(x32.div(variance.add(epsTensor).sqrt()).mul(array(weight)), x.getDataType());
    }
}
