package embtune.nn;

import embtune.engine.Cast;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** torch.nn.LayerNorm over the last axis, with or without a bias (ModernBERT has none). */
public class LayerNorm extends Module {
    final Parameter weight;
    final Parameter bias;
    private final float eps;
    private final long dim;
    private NDArray zeroBias;

    public LayerNorm(long dim, double eps, boolean bias) {
        this.dim = dim;
        this.eps = (float) eps;
        this.weight = param("weight", dim);
        this.bias = bias ? param("bias", dim) : null;
    }

    @Override
    protected void onLoad(NDManager manager) {
        if (bias == null) zeroBias = manager.zeros(new Shape(dim));
    }

    /** Statistics in float32 whatever the input dtype (as autocast runs layer_norm), output in the input's dtype. */
    public NDArray forward(NDArray x) {
        NDArray b = bias == null ? zeroBias : array(bias);
        NDArray y = ai.djl.nn.norm.LayerNorm.layerNorm(Cast.toFloat32(x), new Shape(dim), array(weight), b, eps).head();
        return Cast.to(y, x.getDataType());
    }
}
