package embtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW exactly as torch.optim.AdamW computes it (decoupled weight decay, bias correction,
 * eps added after the square root):
 * <pre>
 * p   <- p * (1 - lr * wd)
 * m   <- b1 m + (1 - b1) g           v <- b2 v + (1 - b2) g^2
 * p   <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * Moments exist only for the parameters given (so LoRA keeps none for frozen weights). Updates
 * are in place; per-step scalars are three tensors shared by all parameters, not one per op.
 */
public final class AdamW {
    private final Map<String, Parameter> params;
    private final Map<String, NDArray> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final double beta1, beta2, eps, weightDecay;
    private final NDArray b1, oneMinusB1, b2, oneMinusB2, epsT;
    private final NDManager manager;
    private long step;

    public AdamW(Map<String, Parameter> params, NDManager manager, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.manager = manager;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        b1 = constant(beta1);
        oneMinusB1 = constant(1 - beta1);
        b2 = constant(beta2);
        oneMinusB2 = constant(1 - beta2);
        epsT = constant(eps);
        params.forEach((name, p) -> {
            m.put(name, keep(p.getArray().zerosLike()));
            v.put(name, keep(p.getArray().zerosLike()));
        });
    }

    private NDArray constant(double x) {
        return keep(manager.create((float) x));
    }

    private static NDArray keep(NDArray a) {
        NDScope.unregister(a);
        return a;
    }

    /** One update with learning rate {@code lr}; gradients must be in place. */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray decay = manager.create((float) (1 - lr * weightDecay));
            NDArray stepSize = manager.create((float) (lr / bc1));
            NDArray bc2Sqrt = manager.create((float) Math.sqrt(bc2));
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray p = e.getValue().getArray(), g = p.getGradient();
                NDArray mt = m.get(e.getKey()), vt = v.get(e.getKey());
                p.muli(decay);
                mt.muli(b1).addi(g.mul(oneMinusB1));
                vt.muli(b2).addi(g.square().mul(oneMinusB2));
                NDArray denom = vt.sqrt().div(bc2Sqrt).add(epsT);
                p.subi(mt.div(denom).mul(stepSize));
            }
        }
    }

    public long steps() {
        return step;
    }

    /** Optimizer state by name ({@code exp_avg.NAME}, {@code exp_avg_sq.NAME}), for checkpoints. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        m.forEach((n, a) -> s.put("exp_avg." + n, a));
        v.forEach((n, a) -> s.put("exp_avg_sq." + n, a));
        return s;
    }

    /** Restores moments and the step count saved by {@link #state()}. */
    public void load(Map<String, NDArray> state, long steps) {
        for (String n : params.keySet()) {
            NDArray sm = state.get("exp_avg." + n), sv = state.get("exp_avg_sq." + n);
            if (sm == null || sv == null) throw new IllegalStateException("optimizer state has no moments for " + n);
            m.get(n).set(sm.toDevice(manager.getDevice(), false).toByteBuffer());
            v.get(n).set(sv.toDevice(manager.getDevice(), false).toByteBuffer());
        }
        this.step = steps;
    }
}
