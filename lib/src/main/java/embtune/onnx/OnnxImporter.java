package embtune.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.weights.AtomicDir;
import embtune.model.ModelSaver;
import embtune.model.Pooling;
import embtune.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a normal model folder (config.json, model.safetensors, tokenizer files,
 * sentence-transformers files) from an exported BERT ONNX graph and its tokenizer.json. The
 * config is read off the weights' shapes; only the head count, which weights do not show, comes
 * from the caller.
 */
public final class OnnxImporter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private OnnxImporter() {}

    public static void importBert(byte[] onnx, byte[] tokenizerJson, Langchain4jModel spec, Path out) {
        OnnxGraph graph = OnnxGraph.parse(onnx, spec.onnx());
        Map<String, OnnxGraph.Tensor> weights = OnnxWeights.toCheckpointNames(graph, spec.onnx());
        ObjectNode config = bertConfig(weights, spec);
        AtomicDir.write(out, true, tmp -> {
            JSON.writeValue(tmp.resolve("config.json").toFile(), config);
            embtune.engine.NativeLibrary.start();
            try (NDManager m = NDManager.newBaseManager()) {
                Map<String, NDArray> arrays = new LinkedHashMap<>();
                weights.forEach((n, t) -> arrays.put(n, m.create(t.values(), new Shape(t.dims()))));
                SafetensorsWriter.write(tmp.resolve("model.safetensors"), arrays,
                        Map.of("format", "pt", "source", spec.coordinates() + "!/" + spec.onnx()));
            }
            Files.write(tmp.resolve("tokenizer.json"), tokenizerJson);
            JSON.writeValue(tmp.resolve("tokenizer_config.json").toFile(), JSON.createObjectNode()
                    .put("do_lower_case", true).put("model_max_length", 512).put("padding_side", "right")
                    .put("pad_token", "[PAD]").put("cls_token", "[CLS]").put("sep_token", "[SEP]")
                    .put("unk_token", "[UNK]").put("mask_token", "[MASK]"));
            ModelSaver.writeSentenceTransformers(tmp, new Pooling(Pooling.Mode.parse(spec.pooling()), true),
                    config.get("hidden_size").asInt(), spec.maxSeqLength(), spec.queryPrompt(), spec.docPrompt());
        });
    }

    static ObjectNode bertConfig(Map<String, OnnxGraph.Tensor> w, Langchain4jModel spec) {
        long[] word = dims(w, "embeddings.word_embeddings.weight");
        int layers = 0;
        while (w.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) layers++;
        if (layers == 0) throw new IllegalArgumentException(spec.onnx() + ": no encoder.layer.N weights; not a BERT graph");
        return JSON.createObjectNode().put("model_type", "bert").putPOJO("architectures", java.util.List.of("BertModel"))
                .put("vocab_size", word[0]).put("hidden_size", word[1]).put("num_hidden_layers", layers)
                .put("num_attention_heads", spec.heads())
                .put("intermediate_size", dims(w, "encoder.layer.0.intermediate.dense.weight")[0])
                .put("max_position_embeddings", dims(w, "embeddings.position_embeddings.weight")[0])
                .put("type_vocab_size", dims(w, "embeddings.token_type_embeddings.weight")[0])
                .put("hidden_act", "gelu").put("layer_norm_eps", 1e-12).put("pad_token_id", 0)
                .put("position_embedding_type", "absolute").put("torch_dtype", "float32");
    }

    private static long[] dims(Map<String, OnnxGraph.Tensor> w, String name) {
        OnnxGraph.Tensor t = w.get(name);
        if (t == null) throw new IllegalArgumentException("ONNX graph has no " + name);
        return t.dims();
    }
}
