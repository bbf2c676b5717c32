package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;

/** {@code y = x W^T + b}, W stored [out, in] as in torch.nn.Linear. */
public class Linear extends Module {
    public final long in, out;
    final Parameter weight;
    final Parameter bias;

    public Linear(long in, long out, boolean bias) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", out, in);
        this.bias = bias ? param("bias", out) : null;
    }

    public NDArray forward(NDArray x) {
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, array(weight)).head()
                : ai.djl.nn.core.Linear.linear(x, array(weight), array(bias)).head();
    }

    public NDArray weight() {
        return array(weight);
    }

    public NDArray bias() {
        return bias == null ? null : array(bias);
    }
}
