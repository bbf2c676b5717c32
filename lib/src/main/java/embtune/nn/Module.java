package embtune.nn;

import embtune.engine.Cast;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A torch-style module, not a DJL block: parameters named exactly like the checkpoint's tensors
 * ({@code layers.0.self_attn.q_proj.weight}), so loading and saving map one to one; children and
 * parameters declared in the constructor; forward methods typed Java methods ({@code forward(x)}).
 * DJL's block machinery (parameter stores, shape inference, initializers) is not used: weights come
 * from checkpoints, and autograd from the arrays themselves.
 */
public abstract class Module {
    private final Map<String, Module> modules = new LinkedHashMap<>();
    private final Map<String, Parameter> own = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    protected boolean training;
    protected DataType computeType = DataType.FLOAT32;

    public <M extends Module> M child(String name, M module) {
        modules.put(name, module);
        return module;
    }

    /** Declares a parameter with the shape the checkpoint must have. */
    public Parameter param(String name, long... shape) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.OTHER).build();
        own.put(name, p);
        shapes.put(name, new Shape(shape));
        return p;
    }

    /** Every parameter under this module, by dotted checkpoint name, in declaration order. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    /** Expected shape of each parameter, by dotted name. */
    public Map<String, Shape> parameterShapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        collectShapes("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        own.forEach((n, p) -> out.put(prefix + n, p));
        modules.forEach((n, m) -> m.collect(prefix + n + ".", out));
    }

    private void collectShapes(String prefix, Map<String, Shape> out) {
        shapes.forEach((n, s) -> out.put(prefix + n, s));
        modules.forEach((n, m) -> m.collectShapes(prefix + n + ".", out));
    }

    /** Named submodules, dotted, depth first (e.g. {@code layers.0.self_attn.q_proj}). */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        modules.forEach((n, m) -> {
            out.put(n, m);
            m.namedModules().forEach((k, v) -> out.put(n + "." + k, v));
        });
        return out;
    }

    /** Forgets a child added after construction (a detached LoRA adapter). */
    protected void removeChild(String name) {
        if (modules.remove(name) == null) throw new IllegalArgumentException("no child " + name);
    }

    /**
     * Dropout at rate p while this module trains (torch's nn.Dropout: survivors scaled by 1 / (1 - p)); x itself
     * otherwise. It draws from libtorch's generator, which the training step seeds (embtune.engine.Seeds).
     */
    protected NDArray dropout(NDArray x, double p) {
        return dropoutRate(p) > 0 ? ai.djl.nn.norm.Dropout.dropout(x, (float) p, true).head() : x;
    }

    /** The dropout rate p as this module applies it now: p while training, 0 otherwise (for kernels that take the rate). */
    protected double dropoutRate(double p) {
        return training ? p : 0;
    }

    /** Training mode turns on dropout where a module has it (torch's module.train()). */
    public void train(boolean on) {
        training = on;
        modules.values().forEach(m -> m.train(on));
    }

    /**
     * For a model that only runs inference from now on: linear layers keep a copy of their weights in
     * the layout the CPU's small products run fastest from (see {@link Linear#packForInference}).
     * Returns the bytes the copies take.
     */
    public long packForInference() {
        long bytes = 0;
        for (Module m : modules.values()) bytes += m.packForInference();
        return bytes;
    }

    /** Drops the copies {@link #packForInference} made (another engine runs the passes they served). */
    public void unpack() {
        modules.values().forEach(Module::unpack);
    }

    /** The dtype activations flow in (float16 under --precision fp16); weights stay float32. */
    public void computeIn(DataType type) {
        computeType = type;
        modules.values().forEach(m -> m.computeIn(type));
    }

    public DataType computeType() {
        return computeType;
    }

    /**
     * The dtype activations flow in between products: the compute dtype, except under bf16, where
     * (as in torch's autocast) only the products run in bfloat16 and everything else in float32.
     */
    public DataType activations() {
        return computeType == DataType.BFLOAT16 ? DataType.FLOAT32 : computeType;
    }

    /** Whether products (linear layers, attention) run in bfloat16. */
    protected boolean bf16Products() {
        return computeType == DataType.BFLOAT16;
    }

    /** A parameter as this forward pass uses it: cast to the activations' dtype inside the graph. */
    protected NDArray weight(Parameter p) {
        return Cast.to(p.getArray(), activations());
    }

    /**
     * {@code out + residual}: in place into the block's output, which nothing saved, unless the output
     * is bfloat16 and the residual is not, where the sum is a new float32 array (autocast's type
     * promotion): the residual stream keeps float32's precision.
     */
    protected static NDArray residual(NDArray out, NDArray residual) {
        if (Cast.isBf16(out) && !Cast.isBf16(residual)) return residual.add(out);
        return out.addi(residual);
    }


    /** Called once the parameters hold arrays: create constants (eps, scales) on the model's device. */
    protected void onLoad(NDManager manager) {}

    public final void loaded(NDManager manager) {
        onLoad(manager);
        modules.values().forEach(m -> m.loaded(manager));
    }

    protected static NDArray array(Parameter p) {
        return p.getArray();
    }

    @Override
    public String toString() {
        long n = 0;
        for (Shape s : parameterShapes().values()) n += s.size();
        return getClass().getSimpleName() + String.format("(%,d parameters)", n);
    }
}
