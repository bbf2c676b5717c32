package embtune.train;

import embtune.Log;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import embtune.engine.ScriptFunction;
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
 * A step consumes the gradients: each is dropped after its update (torch's {@code zero_grad()}, set
 * to None), so no gradient holds memory through the next forward pass.
 * <p>A full-precision step runs torch's fused AdamW kernel ({@code torch._fused_adamw_}, what
 * {@code AdamW(fused=True)} calls): one pass over each parameter, its gradient and its moments,
 * with no temporaries, where the same math as separate ops makes a dozen passes and a fresh
 * parameter-sized array for the square root, mapped and zeroed anew each step. If this libtorch
 * lacks the kernel, the ops below compute it instead.
 */
public final class AdamW {
    private final Map<String, Parameter> params;
    private final Map<String, NDArray> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final double beta1, beta2, eps, weightDecay;
    private final NDArray b1, oneMinusB1, b2, epsT, gradSquareScale;
    private final NDManager manager;
    private long step;
    private NDArray applied; // float16 runs: steps actually applied, on the device (skipped ones do not count)
    private final ScriptFunction fused;
    private boolean fusedWanted; // false when a test asks for the composed ops, or once libtorch refused the kernel

    public AdamW(Map<String, Parameter> params, NDManager manager, double beta1, double beta2, double eps, double weightDecay) {
        this(params, manager, beta1, beta2, eps, weightDecay, true);
    }

    /** {@code fusedKernel} false: always the composed ops (tests compare the two). */
    AdamW(Map<String, Parameter> params, NDManager manager, double beta1, double beta2, double eps, double weightDecay, boolean fusedKernel) {
        this.params = params;
        this.manager = manager;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        b1 = constant(beta1);
        oneMinusB1 = constant(1 - beta1);
        b2 = constant(beta2);
        gradSquareScale = constant((1 - beta2) / ((1 - beta1) * (1 - beta1))); // ((1 - b1) g)^2 -> (1 - b2) g^2
        epsT = constant(eps);
        // the hyperparameters are literals of the compiled function; lr and the step count are tensors (they change)
        fused = new ScriptFunction("AdamWStep", "p, g, m, v, step, lr", String.join("\n",
                "ps, ms, vs = [p], [m], [v]",
                "torch._fused_adamw_(ps, [g], ms, vs, [], [step], lr=lr, beta1=" + beta1 + ", beta2=" + beta2
                        + ", weight_decay=" + weightDecay + ", eps=" + eps + ", amsgrad=False, maximize=False)",
                "return ps[0]")); // returning an updated list keeps TorchScript from discarding the call as unused
        fusedWanted = fusedKernel;
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

    /** One update with learning rate {@code lr}; gradients must be in place, and are gone afterwards. */
    public void step(double lr) {
        step++;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            if (fusedUpdate(lr)) return;
            double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step); // the composed ops' bias corrections
            update(manager.create((float) (1 - lr * weightDecay)), manager.create((float) (lr / bc1)),
                    manager.create((float) Math.sqrt(bc2)), b1, oneMinusB1, b2, gradSquareScale, null);
        }
    }

    /**
     * The float16 variant: {@code ok} is a device boolean from the loss scaler. When false the step
     * is a no-op (gradients replaced by zeros, betas by 1, decay by 1, step size by 0) and the bias
     * correction does not advance: the same as not stepping, decided without leaving the device.
     */
    public void step(double lr, NDArray ok) {
        if (ok == null) {
            step(lr);
            return;
        }
        step++;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            if (applied == null) applied = keep(manager.create(0f));
            applied.addi(ok.toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
            NDArray one = manager.create(1f), zero = manager.create(0f);
            NDArray t = applied.maximum(one); // a skipped first step must not divide by 1 - beta^0 = 0
            NDArray bc1 = one.sub(b1.pow(t)), bc2Sqrt = one.sub(b2.pow(t)).sqrt();
            update(where(ok, manager.create((float) (1 - lr * weightDecay)), one), where(ok, bc1.pow(-1f).mul((float) lr), zero), bc2Sqrt,
                    where(ok, b1, one), where(ok, oneMinusB1, zero), where(ok, b2, one), where(ok, gradSquareScale, zero), ok);
        }
    }

    /**
     * The update through torch's fused kernel, one call per parameter; false (nothing updated) when
     * this libtorch has no such kernel for these tensors, which its first call finds out.
     */
    private boolean fusedUpdate(double lr) {
        if (!usesFusedKernel()) return false;
        NDArray t = manager.create((float) step), rate = manager.create((float) lr);
        boolean first = true;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter param = e.getValue();
            NDArray p = param.getArray();
            try {
                fused.apply(p, p.getGradient(), m.get(e.getKey()), v.get(e.getKey()), t, rate).close();
            } catch (RuntimeException ex) {
                if (!first) throw ex; // some parameters are updated already: falling back would update them twice
                fusedWanted = false; // refused before writing anything (a kernel checks its inputs first)
                Log.note("libtorch's fused AdamW refused these tensors (" + String.valueOf(ex.getMessage()).lines().findFirst().orElse("")
                        + "); using DJL ops instead");
                return false;
            }
            first = false;
            embtune.engine.Torch.dropGradient(param);
        }
        return true;
    }

    /** The update itself, with the step's scalars as device tensors; {@code ok} (or null) selects zero gradients on a skip. */
    private void update(NDArray decay, NDArray stepSize, NDArray bc2Sqrt, NDArray beta1, NDArray keep1, NDArray beta2, NDArray squareScale,
                        NDArray ok) {
        NDArray zero = ok == null ? null : manager.create(0f);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter param = e.getValue();
            NDArray p = param.getArray(), g = p.getGradient();
            // an overflowed gradient holds inf/NaN: select, never multiply (the broadcast is a view, not a copy)
            if (ok != null) g = where(ok.broadcast(g.getShape()), g, zero);
            NDArray mt = m.get(e.getKey()), vt = v.get(e.getKey());
            p.muli(decay);
            // the gradient is the scratch space (dropped below): one parameter-sized array a step instead of four
            g.muli(keep1);                                      // (1 - b1) g
            mt.muli(beta1).addi(g);                             // m = b1 m + (1 - b1) g
            vt.muli(beta2).addi(g.muli(g).muli(squareScale));   // v = b2 v + (1 - b2) g^2
            try (NDArray denom = vt.sqrt()) {                   // DJL offers no in-place sqrt
                denom.divi(bc2Sqrt).addi(epsT);                 // sqrt(v) / sqrt(1 - b2^t) + eps
                g.set(ALL, mt);
                p.subi(g.divi(denom).muli(stepSize));           // p -= lr / (1 - b1^t) * m / denom
            }
            if (ok != null) g.close(); // the selected copy
            embtune.engine.Torch.dropGradient(param);
        }
    }

    private static final ai.djl.ndarray.index.NDIndex ALL = new ai.djl.ndarray.index.NDIndex("...");

    private static NDArray where(NDArray condition, NDArray a, NDArray b) {
        return ai.djl.ndarray.NDArrays.where(condition, a, b);
    }

    /** Whether full-precision steps run torch's fused kernel (false: this libtorch refused it, or a test asked for the ops). */
    public boolean usesFusedKernel() {
        return fusedWanted && fused.available();
    }

    public long steps() {
        return step;
    }

    /** Optimizer state by name ({@code exp_avg.NAME}, {@code exp_avg_sq.NAME}), for checkpoints. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        m.forEach((n, a) -> s.put("exp_avg." + n, a));
        v.forEach((n, a) -> s.put("exp_avg_sq." + n, a));
        if (applied != null) s.put("applied_steps", applied);
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
        NDArray a = state.get("applied_steps");
        if (a != null) applied = keep(manager.create(a.toFloatArray()[0]));
    }

    @Override
    public String toString() {
        return "AdamW(betas " + beta1 + "/" + beta2 + ", eps " + eps + ", weight decay " + weightDecay + ", " + params.size()
                + " tensors, " + step + " steps, " + (usesFusedKernel() ? "torch's fused kernel" : "composed ops") + ")";
    }
}
