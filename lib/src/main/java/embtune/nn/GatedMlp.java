package embtune.nn;

import embtune.engine.Scopes;
import embtune.engine.ScriptFunction;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import embtune.engine.Torch;

/** SwiGLU feed-forward: {@code down(silu(gate(x)) * up(x))} (Qwen). */
public class GatedMlp extends Module {
    // torch's fused silu (one pass; autograd keeps only its input), which DJL does not bind
    static final ScriptFunction SILU = new ScriptFunction("Silu", "x", "return torch.silu(x)");
    static final ScriptFunction SILU_IN_PLACE = new ScriptFunction("SiluInPlace", "x", "return torch.silu_(x)");

    final Linear gate, up, down;

    public GatedMlp(int hidden, int intermediate) {
        gate = child("gate_proj", new Linear(hidden, intermediate, false));
        up = child("up_proj", new Linear(hidden, intermediate, false));
        down = child("down_proj", new Linear(intermediate, hidden, false));
    }

    public NDArray forward(NDArray x) {
        NDArray g = gate.forward(x);
        // with nothing recorded, silu and the product overwrite the gate's output: no fresh [.., intermediate] array
        if (!Torch.recording() && SILU_IN_PLACE.available()) return down.forward(SILU_IN_PLACE.apply(g).muli(up.forward(x)));
        return down.forward(silu(g).mul(up.forward(x)));
    }

    /** {@code g * sigmoid(g)}: torch's fused kernel, or {@link #composedSilu} where libtorch cannot compile it. */
    static NDArray silu(NDArray g) {
        return SILU.available() ? SILU.apply(g) : composedSilu(g);
    }

    /**
     * silu from DJL ops. Written as two recorded ops, autograd would keep g, sigmoid(g) and
     * their product (three [.., intermediate] tensors per layer); torch's fused silu keeps one.
     * So with a graph the value is computed off the graph and only its slope is attached:
     * {@code value + (g - g.detach()) * slope}, where {@code g - g.detach()} is exactly 0 (the
     * value is unchanged to the bit) and its gradient is 1 (dL/dg = dL/dout * slope, torch's
     * silu_backward). Autograd keeps just the slope, but it takes nine element-wise passes
     * where the fused kernel takes one.
     */
    static NDArray composedSilu(NDArray g) {
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
