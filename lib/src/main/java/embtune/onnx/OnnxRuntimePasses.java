package embtune.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import embtune.ModelError;
import embtune.model.Embedder;
import embtune.model.TextTokenizer;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Set;

/**
 * An embedder's inference passes run by ONNX Runtime on the model's own weights, written as ONNX by
 * {@link BertOnnx} when this is made (a second or so for MiniLM). Why: in float32 on the CPU, ONNX
 * Runtime, which fuses the graph and packs the weights at load, answered one text in half libtorch's
 * time and batches of 64 a third faster (bench/README.md). The vectors agree to 1e-5; training and
 * bf16 stay with libtorch.
 *
 * <pre>
 * var model = Embedder.load("output/merged");
 * OnnxRuntimePasses.attach(model);            // embed now runs on ONNX Runtime
 * </pre>
 */
public final class OnnxRuntimePasses implements Embedder.Passes {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment(); // loaded by refusal() first
    private final OrtSession session;
    private final int width, threads;

    private OnnxRuntimePasses(byte[] graph, int width, int threads) {
        this.width = width;
        this.threads = Math.max(1, threads);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(this.threads);
            this.session = env.createSession(graph, options);
        } catch (OrtException e) {
            throw new ModelError("ONNX Runtime refused embtune's ONNX graph: " + e.getMessage());
        }
    }

    /** Passes through ONNX Runtime, each on one thread per core, as libtorch's; see {@link #attach(Embedder, int)}. */
    public static Embedder attach(Embedder model) {
        return attach(model, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Writes the model as ONNX and hands it the model's inference passes, each on {@code threads} threads (a
     * server running passes side by side gives each its share of the cores; ONNX Runtime's own default ran one
     * thread on this 2-core VM, 341-404 against 511-604 sentences/s on two).
     * Refused (a {@link ModelError} saying why) where {@link BertOnnx#refusal} refuses, or when the model
     * computes in anything but float32 on the CPU.
     */
    public static Embedder attach(Embedder model, int threads) {
        String why = refusal(model);
        if (why != null) throw new ModelError(model.name() + ": " + why);
        model.passes(new OnnxRuntimePasses(BertOnnx.graph(model), model.dimension(), threads));
        model.encoder().unpack(); // libtorch's packed copies of the weights served passes that come here now
        return model;
    }

    /** Why {@link #attach} would refuse this model, or null. */
    public static String refusal(Embedder model) {
        if (model.device().isGpu()) return "ONNX Runtime passes run on the CPU; the model is on " + model.device();
        try {
            OrtEnvironment.getEnvironment();
        } catch (LinkageError | RuntimeException e) {
            return "ONNX Runtime did not load on this platform (" + e + ")";
        }
        if (model.precision().computeType() != ai.djl.ndarray.types.DataType.FLOAT32)
            return "ONNX Runtime passes compute in float32; the model computes in " + model.precision();
        return BertOnnx.refusal(model);
    }

    @Override
    public float[][] embed(TextTokenizer.Batch batch) {
        long rows = batch.size(), length = batch.length();
        long[] shape = {rows, length};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(flat(batch.ids())), shape);
             OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(flat(batch.mask())), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.allocate((int) (rows * length)), shape);
             OrtSession.Result out = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types),
                     Set.of("sentence_embedding"))) {
            OnnxValue v = out.get("sentence_embedding").orElseThrow();
            float[][] vectors = (float[][]) v.getValue();
            if (vectors.length != rows || vectors[0].length != width) throw new IllegalStateException("ONNX Runtime returned " + vectors.length + " vectors");
            return vectors;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime pass failed: " + e.getMessage(), e);
        }
    }

    private static long[] flat(long[][] rows) {
        int length = rows.length == 0 ? 0 : rows[0].length;
        long[] out = new long[rows.length * length];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * length, length);
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing frees native memory; nothing to tell a caller that is done with the model
        }
    }

    @Override
    public String toString() {
        return "passes on ONNX Runtime " + env.getVersion() + ", " + threads + " thread" + (threads == 1 ? "" : "s") + " each";
    }
}
