package embtune.model.nn;

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

    public NDArray forward(NDArray x) {
        NDArray b = bias == null ? zeroBias : array(bias);
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), array(weight), b, eps).head();
    }
}
