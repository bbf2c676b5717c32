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
 * An embedder's small inference passes run by ONNX Runtime on the model's own weights, written as
 * ONNX by {@link BertOnnx} when this is made. Why: a pass over one text or a few short ones is
 * dominated by fixed costs (one dispatch per op, weights streamed from memory), where ONNX Runtime,
 * which fuses the graph and packs the weights at load, answers in about half embtune's time; over
 * larger batches libtorch is ahead (bench/README.md). So passes of at most {@code maxTokens} tokens
 * (batch x length) come here and the rest stay with libtorch; the vectors agree to 1e-5.
 *
 * <pre>
 * var model = Embedder.load("output/merged").inferenceOnly();
 * OnnxRuntimePasses.attach(model);            // one text now takes ONNX Runtime's path
 * </pre>
 */
public final class OnnxRuntimePasses implements Embedder.Passes {
    /** Passes up to this many tokens come here by default: up to about a dozen short texts (bench/README.md). */
    public static final int SMALL_PASS_TOKENS = 256;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final long maxTokens;
    private final int width, threads;

    private OnnxRuntimePasses(byte[] graph, long maxTokens, int width, int threads) {
        this.maxTokens = maxTokens;
        this.width = width;
        this.threads = threads;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) options.setIntraOpNumThreads(threads);
            this.session = env.createSession(graph, options);
        } catch (OrtException e) {
            throw new ModelError("ONNX Runtime refused embtune's ONNX graph: " + e.getMessage());
        }
    }

    /** Passes of up to {@link #SMALL_PASS_TOKENS} tokens through ONNX Runtime, on its own threads (one per core); see {@link #attach(Embedder, long, int)}. */
    public static Embedder attach(Embedder model) {
        return attach(model, SMALL_PASS_TOKENS, 0);
    }

    /**
     * Writes the model as ONNX and hands it passes of up to {@code maxTokens} tokens ({@code Long.MAX_VALUE}:
     * all), each pass on {@code threads} threads (0: ONNX Runtime's default, one per core; a server running
     * passes side by side gives each its share). Refused (a {@link ModelError} saying why) where
     * {@link BertOnnx#refusal} refuses, or when the model computes in anything but float32 on the CPU.
     */
    public static Embedder attach(Embedder model, long maxTokens, int threads) {
        String why = refusal(model);
        if (why != null) throw new ModelError(model.name() + ": " + why);
        model.passes(new OnnxRuntimePasses(BertOnnx.graph(model), maxTokens, model.dimension(), threads));
        // float32 passes small enough for libtorch's packed copies of the weights now come here: the copies serve nothing
        if (maxTokens >= embtune.nn.Linear.packedMaxRows()) model.encoder().unpack();
        return model;
    }

    /** Why {@link #attach} would refuse this model, or null. */
    public static String refusal(Embedder model) {
        if (model.device().isGpu()) return "ONNX Runtime passes run on the CPU; the model is on " + model.device();
        if (model.precision().computeType() != ai.djl.ndarray.types.DataType.FLOAT32)
            return "ONNX Runtime passes compute in float32; the model computes in " + model.precision();
        return BertOnnx.refusal(model);
    }

    @Override
    public float[][] embed(TextTokenizer.Batch batch) {
        long rows = batch.size(), length = batch.length();
        if (rows * length > maxTokens) return null;
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
        return "ONNX Runtime " + env.getVersion() + " for passes of " + (maxTokens == Long.MAX_VALUE ? "any size" : "up to " + maxTokens + " tokens")
                + (threads > 0 ? ", " + threads + " thread" + (threads == 1 ? "" : "s") + " each" : "");
    }
}
