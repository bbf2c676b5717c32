package embtune.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import embtune.ModelError;
import embtune.model.Embedder;
import embtune.model.ModelConfig;
import embtune.model.Pooling;
import java.util.List;
import java.util.Map;

/**
 * A BERT embedder (MiniLM, bge, e5) written as an ONNX graph: what {@code embtune.model.BertEncoder}
 * computes, op for op, then the model's pooling. Inputs {@code input_ids}, {@code attention_mask},
 * {@code token_type_ids} (int64 [batch, tokens]), as Hugging Face's exports name them; outputs
 * {@code last_hidden_state} [batch, tokens, hidden] first (what langchain4j's {@code OnnxEmbeddingModel}
 * reads and pools itself) and {@code sentence_embedding} [batch, hidden], pooled (and normalised)
 * as the model's sentence-transformers files say.
 * <pre>
 * h = LN(word[ids] + type[types] + position[0..T))
 * per layer: a = softmax(q k^T / sqrt(d) + mask) v;  h = LN(h + W_o a);  h = LN(h + W_2 gelu(W_1 h))
 * </pre>
 * Linear weights are stored transposed ([in, out], MatMul's layout). ONNX Runtime fuses the layer
 * norms, the erf GELU and the attention at load.
 */
public final class BertOnnx {
    private BertOnnx() {}

    /** Whether {@link #graph} can write this model, and if not, why (null when it can). */
    public static String refusal(Embedder m) {
        ModelConfig c = m.encoder().config();
        String type = c.raw() == null ? "" : c.raw().path("model_type").asText("");
        if (!type.equals("bert")) return "ONNX export covers BERT models (MiniLM, bge, e5); this one's model_type is '" + type + "'";
        if (m.encoder().namedParameters().keySet().stream().anyMatch(n -> n.contains("lora_")))
            return "the model has a LoRA adapter attached; merge it first (export --merge_lora true)";
        if (m.hasVision()) return "the model takes images";
        Pooling.Mode p = m.pooling().mode();
        if (p != Pooling.Mode.MEAN && p != Pooling.Mode.CLS) return "ONNX export pools by mean or CLS; this model pools by " + p;
        return null;
    }

    public static byte[] graph(Embedder m) {
        String why = refusal(m);
        if (why != null) throw new ModelError(m.name() + ": " + why);
        ModelConfig c = m.encoder().config();
        Map<String, Parameter> params = m.encoder().namedParameters();
        OnnxWriter g = new OnnxWriter();
        Weights w = new Weights(g, params);
        String ids = g.input("input_ids", OnnxWriter.INT64, "batch", "tokens");
        String mask = g.input("attention_mask", OnnxWriter.INT64, "batch", "tokens");
        String types = g.input("token_type_ids", OnnxWriter.INT64, "batch", "tokens");
        float eps = (float) c.normEps();

        // embeddings: positions 0..T-1 from the ids' second dimension
        String tokens = g.op("Squeeze", List.of(g.op("Shape", List.of(ids), "start", 1L, "end", 2L), g.longs(0)));
        String positions = g.op("Range", g.scalar(0L), tokens, g.scalar(1L));
        String h = g.op("Add", g.op("Add", gather(g, w.plain("embeddings.word_embeddings.weight"), ids),
                gather(g, w.plain("embeddings.token_type_embeddings.weight"), types)),
                gather(g, w.plain("embeddings.position_embeddings.weight"), positions));
        h = norm(g, w, h, "embeddings.LayerNorm", eps);

        // padding keys get the lowest float added to their scores: (1 - mask) * min, as [B, 1, 1, T]
        String keep = g.op("Cast", List.of(mask), "to", OnnxWriter.FLOAT);
        String bias = g.op("Unsqueeze", g.op("Mul", g.op("Sub", g.scalar(1f), keep), g.scalar(-Float.MAX_VALUE)), g.longs(1, 2));

        int heads = c.heads(), width = c.hiddenSize() / heads;
        String split = g.longs(0, 0, heads, width), merge = g.longs(0, 0, c.hiddenSize());
        String scale = g.scalar((float) (1 / Math.sqrt(width)));
        for (int i = 0; i < c.layers(); i++) {
            String p = "encoder.layer." + i + ".";
            String q = g.op("Transpose", List.of(g.op("Reshape", linear(g, w, h, p + "attention.self.query"), split)), "perm", new long[] {0, 2, 1, 3});
            String k = g.op("Transpose", List.of(g.op("Reshape", linear(g, w, h, p + "attention.self.key"), split)), "perm", new long[] {0, 2, 3, 1});
            String v = g.op("Transpose", List.of(g.op("Reshape", linear(g, w, h, p + "attention.self.value"), split)), "perm", new long[] {0, 2, 1, 3});
            String scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), bias);
            String attended = g.op("MatMul", g.op("Softmax", List.of(scores), "axis", -1L), v);
            attended = g.op("Reshape", g.op("Transpose", List.of(attended), "perm", new long[] {0, 2, 1, 3}), merge);
            h = norm(g, w, g.op("Add", linear(g, w, attended, p + "attention.output.dense"), h), p + "attention.output.LayerNorm", eps);
            String up = linear(g, w, h, p + "intermediate.dense");
            // gelu(x) = x (1 + erf(x / sqrt 2)) / 2, in the order torch's exporter writes it (ONNX Runtime's fusion matches it)
            String gelu = g.op("Mul", g.op("Mul", up, g.op("Add", g.op("Erf", g.op("Div", up, g.scalar((float) Math.sqrt(2)))), g.scalar(1f))), g.scalar(0.5f));
            h = norm(g, w, g.op("Add", linear(g, w, gelu, p + "output.dense"), h), p + "output.LayerNorm", eps);
        }
        g.node("Identity", List.of(h), List.of("last_hidden_state"));
        g.output("last_hidden_state", OnnxWriter.FLOAT, "batch", "tokens", (long) c.hiddenSize());

        Pooling pooling = m.pooling();
        String pooled;
        if (pooling.mode() == Pooling.Mode.CLS) pooled = g.op("Gather", List.of(h, g.scalar(0L)), "axis", 1L);
        else {
            // sum(h * mask) / max(sum(mask), 1e-9) over the tokens
            String m3 = g.op("Unsqueeze", keep, g.longs(2));
            String sum = g.op("ReduceSum", List.of(g.op("Mul", h, m3), g.longs(1)), "keepdims", 0L);
            String count = g.op("Max", g.op("ReduceSum", List.of(m3, g.longs(1)), "keepdims", 0L), g.scalar(1e-9f));
            pooled = g.op("Div", sum, count);
        }
        if (pooling.normalize()) {
            // x / max(||x||, 1e-12), as torch.nn.functional.normalize
            String norm = g.op("Sqrt", g.op("ReduceSum", List.of(g.op("Mul", pooled, pooled), g.longs(-1)), "keepdims", 1L));
            pooled = g.op("Div", pooled, g.op("Max", norm, g.scalar(1e-12f)));
        }
        g.node("Identity", List.of(pooled), List.of("sentence_embedding"));
        g.output("sentence_embedding", OnnxWriter.FLOAT, "batch", (long) c.hiddenSize());
        return g.toBytes(m.name());
    }

    private static String gather(OnnxWriter g, String table, String indices) {
        return g.op("Gather", List.of(table, indices), "axis", 0L);
    }

    /** x W^T + b, W stored as [in, out]. */
    private static String linear(OnnxWriter g, Weights w, String x, String name) {
        return g.op("Add", g.op("MatMul", x, w.transposed(name + ".weight")), w.plain(name + ".bias"));
    }

    private static String norm(OnnxWriter g, Weights w, String x, String name, float eps) {
        return g.op("LayerNormalization", List.of(x, w.plain(name + ".weight"), w.plain(name + ".bias")), "axis", -1L, "epsilon", eps);
    }

    /** The model's parameters as initializers, by their checkpoint names. */
    private record Weights(OnnxWriter g, Map<String, Parameter> params) {
        NDArray array(String name) {
            Parameter p = params.get(name);
            if (p == null || p.getArray() == null) throw new ModelError("ONNX export: the model has no " + name);
            return p.getArray();
        }

        /** As stored: embeddings, norms, biases. Values are read when the model is written (one weight at a time). */
        String plain(String name) {
            NDArray a = array(name);
            return g.weight(name, a.getShape().getShape(), () -> floats(a));
        }

        /** A linear layer's [out, in] weight as MatMul's [in, out]. */
        String transposed(String name) {
            NDArray a = array(name);
            int out = (int) a.getShape().get(0), in = (int) a.getShape().get(1);
            return g.weight(name, new long[] {in, out}, () -> {
                float[] w = floats(a), t = new float[w.length];
                for (int o0 = 0; o0 < out; o0 += 64) // in tiles: a plain double loop strides through memory on every write
                    for (int i0 = 0; i0 < in; i0 += 64)
                        for (int o = o0; o < Math.min(out, o0 + 64); o++)
                            for (int i = i0; i < Math.min(in, i0 + 64); i++) t[i * out + o] = w[o * in + i];
                return t;
            });
        }

        private static float[] floats(NDArray a) {
            return a.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32 ? a.toFloatArray()
                    : a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
    }
}
