package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import embtune.model.Torch;

/** SwiGLU feed-forward: {@code down(silu(gate(x)) * up(x))} (Qwen). */
public class GatedMlp extends Module {
    final Linear gate, up, down;

    public GatedMlp(int hidden, int intermediate) {
        gate = child("gate_proj", new Linear(hidden, intermediate, false));
        up = child("up_proj", new Linear(hidden, intermediate, false));
        down = child("down_proj", new Linear(intermediate, hidden, false));
    }

    public NDArray forward(NDArray x) {
        return down.forward(silu(gate.forward(x)).mul(up.forward(x)));
    }

    /**
     * {@code g * sigmoid(g)}. Written as two recorded ops, autograd would keep g, sigmoid(g) and
     * their product (three [.., intermediate] tensors per layer); torch's fused silu keeps one.
     * DJL has no fused silu, so with a graph the value is computed off the graph and only its
     * slope is attached: {@code value + (g - g.detach()) * slope}, where {@code g - g.detach()}
     * is exactly 0 (the value is unchanged to the bit) and its gradient is 1 (dL/dg = dL/dout *
     * slope, torch's silu_backward). Autograd keeps just the slope.
     */
    static NDArray silu(NDArray g) {
        if (!Torch.recording()) return g.mul(Activation.sigmoid(g));
        return Scopes.keep(() -> { // in place and closed early: at most two temporaries besides g
            NDArray x = g.stopGradient();
            NDArray s = Activation.sigmoid(x), value = x.mul(s);
            NDArray slope = value.mul(s).negi().addi(value).addi(s); // silu'(g) = s + g s (1 - s)
            s.close();
            NDArray out = g.sub(x).muli(slope).addi(value);
            value.close();
            return out;
        });
    }
}
