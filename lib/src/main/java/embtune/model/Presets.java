package embtune.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Configs of real model sizes, for benchmarks and parameter counts without downloading weights.
 * Numbers from the models' published config.json files on the Hugging Face hub.
 */
public final class Presets {
    private Presets() {}

    /** sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, 12 heads. */
    public static ModelConfig miniLmL6() {
        return miniLmL6(false);
    }

    /** @param tiny the same architecture shrunk to 2 layers of width 32 (a shapes-only stand-in for tests) */
    public static ModelConfig miniLmL6(boolean tiny) {
        ObjectNode c = new ObjectMapper().createObjectNode().put("model_type", "bert").put("hidden_size", 384)
                .put("num_hidden_layers", 6).put("num_attention_heads", 12).put("intermediate_size", 1536)
                .put("vocab_size", 30522).put("max_position_embeddings", 512).put("layer_norm_eps", 1e-12)
                .put("hidden_act", "gelu").put("type_vocab_size", 2).put("pad_token_id", 0);
        if (tiny) shrink(c).put("num_attention_heads", 4);
        return ModelConfig.parse(Family.of("bert", "preset"), c, "preset all-MiniLM-L6-v2" + (tiny ? " (tiny)" : ""));
    }

    /** Qwen/Qwen3-Embedding-0.6B: 28 layers, hidden 1024, 16 q / 8 kv heads of 128, intermediate 3072. */
    public static ModelConfig qwen3Embedding06B() {
        return qwen3Embedding06B(false);
    }

    /** @param tiny the same architecture shrunk to 2 layers of width 32 (a shapes-only stand-in for tests) */
    public static ModelConfig qwen3Embedding06B(boolean tiny) {
        ObjectNode c = new ObjectMapper().createObjectNode().put("model_type", "qwen3").put("hidden_size", 1024)
                .put("num_hidden_layers", 28).put("num_attention_heads", 16).put("num_key_value_heads", 8)
                .put("head_dim", 128).put("intermediate_size", 3072).put("vocab_size", 151669)
                .put("max_position_embeddings", 32768).put("rms_norm_eps", 1e-6).put("rope_theta", 1000000.0)
                .put("hidden_act", "silu").put("tie_word_embeddings", true).put("pad_token_id", 151643);
        if (tiny) shrink(c).put("num_attention_heads", 4).put("num_key_value_heads", 2).put("head_dim", 8).put("pad_token_id", 0);
        return ModelConfig.parse(Family.of("qwen3", "preset"), c, "preset Qwen3-Embedding-0.6B" + (tiny ? " (tiny)" : ""));
    }

    /** Qwen3-Embedding-0.6B's layer shapes with only {@code layers} layers (CPU benchmarks of the real widths). */
    public static ModelConfig qwen3Embedding06B(int layers) {
        ObjectNode c = (ObjectNode) qwen3Embedding06B(false).raw().deepCopy().put("num_hidden_layers", layers);
        return ModelConfig.parse(Family.of("qwen3", "preset"), c, "preset Qwen3-Embedding-0.6B, " + layers + " layers");
    }

    private static ObjectNode shrink(ObjectNode c) {
        return c.put("hidden_size", 32).put("num_hidden_layers", 2).put("intermediate_size", 64).put("vocab_size", 2000);
    }
}
