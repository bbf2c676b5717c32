package embtune.nn;

import embtune.engine.Scopes;
import embtune.engine.ScriptFunction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import embtune.engine.Torch;

/**
 * {@code y = x W^T + b}, W stored [out, in] as in torch.nn.Linear. With a LoRA adapter attached
 * (children {@code lora_A} [r, in] and {@code lora_B} [out, r], PEFT's names):
 * {@code y = x W^T + b + scaling * B(A(dropout(x)))}, dropout on the adapter's input only.
 */
public class Linear extends Module {
    public final long in, out;
    final Parameter weight;
    final Parameter bias;
    private Linear loraA, loraB;
    private float loraDropout;
    private NDArray scaling;
    private RowAdapters rowAdapters;
    private NDArray packed; // the weight in oneDNN's layout, for inference (see packForInference)
    private DataType packedFor; // the compute dtype it was made for

    /**
     * Many adapters at once, one per batch row (serving, see embtune.lora.AdapterSet): given the base
     * output y [B, T, out] and the input x [B, T, in], returns y with each row's adapter product added.
     */
    public interface RowAdapters {
        NDArray addTo(NDArray y, NDArray x);
    }

    public Linear(long in, long out, boolean bias) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", out, in);
        this.bias = bias ? param("bias", out) : null;
    }

    // y += a w^T in place (torch's addmm_, which DJL does not bind): the adapter's product lands in the base
    // output, where B(A(h)) would be a fresh [.., out] array and then a pass adding it. w^T is handed over as a
    // row-major copy ([r, out], tiny): for a column-major w^T autograd computes w's gradient as (g^T a)^T, whose
    // transposed [out, N] x [N, r] GEMM runs several times slower than the a^T g it computes for a row-major one
    static final ScriptFunction ADD_PRODUCT = new ScriptFunction("AddProduct", "y, a, w", "return y.addmm_(a, w.t().contiguous())");

    // [N, out] rows back to x's leading dims as torch.matmul returns them (_unsafe_view): autograd sees a new tensor,
    // not a view of the rows. A residual added in place to a view makes autograd rebuild the gradient of the whole
    // base in the backward pass (a zero-filled array, a strided copy and a CopySlices pass per block output)
    static final ScriptFunction UNFLATTEN = new ScriptFunction("Unflatten", "y, x", "return torch._unsafe_view(y, x.size()[:-1] + [y.size(-1)])");

    // under bf16 the product casts its operands itself (in the graph, so gradients come back float32)
    static final ScriptFunction LINEAR_BF16 = new ScriptFunction("LinearBf16", "x, w", "return torch.linear(torch.to(x, 15), torch.to(w, 15))");
    static final ScriptFunction AFFINE_BF16 = new ScriptFunction("AffineBf16", "x, w, b",
            "return torch.addmm(torch.to(b, 15), torch.to(x, 15), torch.to(w, 15).t())");
    static final ScriptFunction ADD_PRODUCT_BF16 = new ScriptFunction("AddProductBf16", "y, a, w",
            "return y.addmm_(torch.to(a, 15), torch.to(w, 15).t().contiguous())");

    // Inference in float32 on a CPU: oneDNN's matmul on a weight reordered once into its blocked layout. MKL's sgemm,
    // which torch.linear calls, packs the whole weight into a buffer on every call: for a pass of a few rows that copy,
    // not the product, is the cost (bench/README.md), and it is what ONNX Runtime avoids by packing at load time
    static final ScriptFunction REORDER = new ScriptFunction("ReorderLinearWeight", "w", "return ops.mkldnn._reorder_linear_weight(w, 64)");
    // under bf16 the copy is bfloat16: no cast of the weight per call (the per-use cast the training path pays)
    static final ScriptFunction REORDER_BF16 = new ScriptFunction("ReorderLinearWeightBf16", "w",
            "return ops.mkldnn._reorder_linear_weight(torch.to(w, 15), 64)");
    static final ScriptFunction PACKED_LINEAR = packedProduct(false, false), PACKED_AFFINE = packedProduct(false, true),
            PACKED_LINEAR_BF16 = packedProduct(true, false), PACKED_AFFINE_BF16 = packedProduct(true, true);

    /** oneDNN's product of rows x [N, in] and a packed weight, plus the bias if any; under bf16 x and b are cast in the graph. */
    private static ScriptFunction packedProduct(boolean bf16, boolean withBias) {
        String x = bf16 ? "torch.to(x, 15)" : "x", b = !withBias ? "None" : bf16 ? "torch.to(b, 15)" : "b";
        return new ScriptFunction("Packed" + (withBias ? "Affine" : "Linear") + (bf16 ? "Bf16" : ""), withBias ? "x, w, b" : "x, w",
                "no_scalars: List[Optional[number]] = []\nreturn ops.mkldnn._linear_pointwise(" + x + ", w, " + b + ", \"none\", no_scalars, \"\")");
    }

    /** This layer's packed product, for its compute dtype and bias. */
    private ScriptFunction packedProduct() {
        return bf16Products() ? (bias == null ? PACKED_LINEAR_BF16 : PACKED_AFFINE_BF16) : (bias == null ? PACKED_LINEAR : PACKED_AFFINE);
    }

    /**
     * Float32 passes of more rows than this keep torch.linear (MKL's sgemm, whose packing is spread over enough rows
     * there to cost little: the copy was not measured to win); bf16 passes take the copy at every size, which saves
     * them the weight's cast on every call.
     */
    static final long PACKED_MAX_ROWS = 256;
    /**
     * Float32 copies only for layers whose outputs are a multiple of this: libtorch 2.7.1's oneDNN product on a
     * reordered float32 weight came out wrong on this AMD CPU for 36, 40, 44, 48, 68-88, 112, 200, 1000 and 1008
     * outputs (at every row count; bfloat16 right), and right for every multiple of 32 tried (32 to 3072).
     */
    static final int PACKED_FLOAT32_OUT = 32;
    // a bench (-Dembtune.packedMaxRows=N) moves it to compare the two paths
    static long packedMaxRows = Long.getLong("embtune.packedMaxRows", PACKED_MAX_ROWS);

    public NDArray forward(NDArray x) {
        if (loraA == null && rowAdapters != null)
            return Scopes.keep(() -> rowAdapters.addTo(embtune.engine.Cast.toFloat32(base(x)), x)); // the adapters' stacks are float32
        if (loraA == null) return base(x);
        // scaling applies to the rank-r activations, B(s * A(h)) = s * B(A(h)): a [.., r] multiply forward and
        // backward instead of an [.., out] one; in its own scope and in place, so the base output and the
        // adapter's temporaries are freed on return rather than with the enclosing block
        return Scopes.keep(() -> {
            NDArray rows = x.reshape(-1, in); // addmm_ takes matrices
            NDArray a = loraA.forward(dropout(rows, loraDropout)).muli(scaling);
            ScriptFunction addProduct = bf16Products() ? ADD_PRODUCT_BF16 : ADD_PRODUCT;
            NDArray y = addProduct.available() ? addProduct.apply(base(rows), a, loraB.weight(loraB.weight))
                    : base(rows).addi(loraB.forward(a));
            return unflatten(y, x);
        });
    }

    /**
     * The layer on attention heads not yet merged: {@code pieces[p]} [B, G, T, D] holds heads p, P + p, 2P + p, ...
     * (Attention#causalPieces), so the merged input [B, T, G*P*D] has its columns laid out [G, P, D]. With a LoRA
     * adapter on a frozen weight (what LoRA training runs), the adapter's product reads the pieces head by head, and
     * autograd keeps nothing of the input but the pieces, which the attention kernel keeps anyway: the merged copy the
     * frozen product reads is freed on return. Otherwise, or with dropout on the adapter's input, this is
     * {@code forward} on the merged input (per-row adapters apply only to layers without an adapter of their own).
     */
    public NDArray forwardHeads(NDArray[] pieces) {
        long[] s = pieces[0].getShape().getShape();
        long b = s[0], t = s[2];
        NDList transposed = new NDList();
        for (NDArray p : pieces) transposed.add(p.transpose(0, 2, 1, 3));
        if (loraA == null || dropoutRate(loraDropout) > 0 || Torch.requiresGrad(weight.getArray()))
            return forward(NDArrays.stack(transposed, 3).reshape(b, t, in));
        return Scopes.keep(() -> {
            // the merged heads live only as long as the frozen product that reads them
            NDArray y = Scopes.keep(() -> base(NDArrays.stack(transposed, 3).reshape(b * t, in)));
            // A's product head by head: A [r, G*P*D] seen as [r, G, P, D], piece p's columns as [G, D, r], its per-head
            // products [B, G, T, r] summed over G
            NDArray aw = loraA.weight(loraA.weight);
            long r = aw.getShape().get(0);
            NDArray byHead = aw.reshape(r, s[1], pieces.length, s[3]);
            ScriptFunction product = bf16Products() ? HEADS_PRODUCT_BF16 : HEADS_PRODUCT;
            NDArray a = null;
            for (int p = 0; p < pieces.length; p++) {
                NDArray part = product.apply(pieces[p], byHead.get(new NDIndex(":, :, {}", p)).transpose(1, 2, 0));
                a = a == null ? part : a.addi(part);
            }
            a = a.muli(scaling).reshape(b * t, r);
            NDArray sum = (bf16Products() ? ADD_PRODUCT_BF16 : ADD_PRODUCT).apply(y, a, loraB.weight(loraB.weight));
            return UNFLATTEN_HEADS.available() ? UNFLATTEN_HEADS.apply(sum, pieces[0]) : sum.reshape(b, t, out);
        });
    }

    // rows [B*T, out] as [B, T, out] for heads x [B, G, T, D], not as a view (see UNFLATTEN)
    static final ScriptFunction UNFLATTEN_HEADS = new ScriptFunction("UnflattenHeads", "y, x",
            "return torch._unsafe_view(y, [x.size(0), x.size(2), y.size(-1)])");

    // x [B, G, T, D] against w [G, D, r]: one [T, D] x [D, r] product per batch row and head, summed over the heads (float32)
    static final ScriptFunction HEADS_PRODUCT = new ScriptFunction("HeadsProduct", "x, w", "return torch.matmul(x, w).sum(1)");
    static final ScriptFunction HEADS_PRODUCT_BF16 = new ScriptFunction("HeadsProductBf16", "x, w",
            "return torch.matmul(torch.to(x, 15), torch.to(w, 15)).to(6).sum(1)");

    private NDArray base(NDArray x) {
        if (packed != null && !Torch.recording() && packedFor == computeType()
                && (bf16Products() || x.getShape().size() / in <= packedMaxRows)) {
            NDArray rows = x.getShape().dimension() == 2 ? x : x.reshape(-1, in);
            return unflatten(bias == null ? packedProduct().apply(rows, packed) : packedProduct().apply(rows, packed, array(bias)), x);
        }
        if (bf16Products()) {
            NDArray rows = x.getShape().dimension() == 2 ? x : x.reshape(-1, in); // addmm (bias fused) takes matrices
            NDArray y = bias == null ? LINEAR_BF16.apply(rows, weight(weight)) : AFFINE_BF16.apply(rows, weight(weight), weight(bias));
            return unflatten(y, x);
        }
        if (bias == null) return ai.djl.nn.core.Linear.linear(x, weight(weight)).head();
        if (x.getShape().dimension() == 2) return ai.djl.nn.core.Linear.linear(x, weight(weight), weight(bias)).head();
        // [.., in] as rows [N, in]: this libtorch fuses the bias into the product (addmm: the bias is copied into
        // the output, which the GEMM then adds to) only for 2-d inputs; for more dims it zeroes the output for the
        // GEMM and adds the bias in a second pass
        return unflatten(ai.djl.nn.core.Linear.linear(x.reshape(-1, in), weight(weight), weight(bias)).head(), x);
    }

    /** Rows [N, out] shaped as x with its last axis {@code out}; under autograd not a view (see UNFLATTEN). */
    private NDArray unflatten(NDArray rows, NDArray x) {
        if (x.getShape().dimension() == 2) return rows;
        return Torch.recording() && UNFLATTEN.available() ? UNFLATTEN.apply(rows, x) : rows.reshape(outShape(x));
    }

    /** x's shape with the last axis {@code out}. */
    private Shape outShape(NDArray x) {
        long[] s = x.getShape().getShape().clone();
        s[s.length - 1] = out;
        return new Shape(s);
    }

    /** Adds a rank-r adapter; its two matrices become parameters named lora_A.weight and lora_B.weight. */
    public void attachLora(int r, double scale, double dropout, NDManager manager) {
        if (loraA != null) throw new IllegalStateException("a LoRA adapter is already attached");
        loraA = child("lora_A", new Linear(in, r, false));
        loraB = child("lora_B", new Linear(r, out, false));
        loraA.computeIn(computeType);
        loraB.computeIn(computeType);
        loraDropout = (float) dropout;
        scaling = manager.create((float) scale);
    }

    /** Hooks (or, with null, unhooks) per-row adapters; an attached adapter of this layer's own takes precedence. */
    public void rowAdapters(RowAdapters r) {
        this.rowAdapters = r;
    }

    public boolean hasLora() {
        return loraA != null;
    }

    public Linear loraA() { return loraA; }
    public Linear loraB() { return loraB; }

    /**
     * Keeps a copy of the weight in oneDNN's layout, in the compute dtype, for passes run without autograd
     * (float32: of up to {@link #PACKED_MAX_ROWS} rows; bfloat16: all): the
     * weight must not change afterwards (a merge or {@code train(true)} drops the copy). On a CPU only, where
     * this libtorch has the ops; returns the bytes the copy takes (0 if none was made).
     */
    public long packForInference() {
        dropPacked();
        NDArray w = array(weight);
        boolean bf16 = bf16Products();
        ScriptFunction reorder = bf16 ? REORDER_BF16 : REORDER;
        if (w.getDevice().isGpu() || w.getDataType() != DataType.FLOAT32
                || !(bf16 ? embtune.engine.Precision.cpuHasBf16() : computeType() == DataType.FLOAT32)
                || !bf16 && out % PACKED_FLOAT32_OUT != 0
                || !reorder.available() || !packedProduct().available()) return 0; // oneDNN's bf16 product wants the instructions
        packed = reorder.apply(w);
        packed.attach(w.getManager());
        packedFor = computeType();
        return packedBytes(w.size(), bf16);
    }

    /** The bytes a packed copy of {@code params} weights takes. */
    public static long packedBytes(long params, boolean bf16) {
        return params * (bf16 ? 2 : 4);
    }

    @Override
    public void unpack() {
        dropPacked();
        super.unpack();
    }

    /** Float32 passes of up to this many rows read the packed copy; larger ones, the weight. */
    public static long packedMaxRows() {
        return packedMaxRows;
    }

    /** Whether small inference passes read a packed copy of the weight ({@link #packForInference}). */
    public boolean isPacked() {
        return packed != null;
    }

    private void dropPacked() {
        if (packed != null) packed.close();
        packed = null;
    }

    @Override
    public void train(boolean on) {
        if (on) dropPacked(); // training changes the weight the copy was made from
        super.train(on);
    }

    /** {@code W <- W + scaling * B A}, then the adapter is gone (PEFT's merge_and_unload). */
    public void mergeLora() {
        dropPacked();
        NDArray delta = array(loraB.weight).matMul(array(loraA.weight)).mul(scaling);
        array(weight).addi(delta);
        delta.close();
        detachLora();
    }

    public void detachLora() {
        if (loraA == null) return;
        removeChild("lora_A");
        removeChild("lora_B");
        loraA.namedParameters().values().forEach(Parameter::close);
        loraB.namedParameters().values().forEach(Parameter::close);
        scaling.close();
        loraA = loraB = null;
    }

    public NDArray weight() {
        return array(weight);
    }

    public NDArray bias() {
        return bias == null ? null : array(bias);
    }
}
