package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** SwiGLU feed-forward: {@code down(silu(gate(x)) * up(x))} (Qwen). */
public class GatedMlp extends Module {
    final Linear gate, up, down;

    public GatedMlp(int hidden, int intermediate) {
        gate = child("gate_proj", new Linear(hidden, intermediate, false));
        up = child("up_proj", new Linear(hidden, intermediate, false));
        down = child("down_proj", new Linear(intermediate, hidden, false));
    }

    public NDArray forward(NDArray x) {
        NDArray g = gate.forward(x);
        return down.forward(g.mul(Activation.sigmoid(g)).mul(up.forward(x)));
    }
}
