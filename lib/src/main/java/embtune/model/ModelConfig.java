package embtune.model;

import embtune.ModelError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The numbers from {@code config.json} that shape the network. Field names follow transformers;
 * where transformers changed a name across versions (rope_theta vs rope_parameters, ModernBERT's
 * global/local thetas) both are read. The raw JSON is kept so a saved folder writes it back as is.
 */
public record ModelConfig(
        Family family,
        int hiddenSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        double normEps,
        String hiddenAct,
        boolean attentionBias,
        boolean mlpBias,
        boolean normBias,
        boolean qkNorm,
        int typeVocabSize,
        List<Double> ropeThetaPerLayer,
        List<Boolean> slidingPerLayer,
        int slidingWindow,
        Integer padTokenId,
        VisionConfig vision,
        ObjectNode raw) {

    /**
     * What a Qwen2-VL adds to its text model: the vision tower's shape, the id of the
     * {@code <|image_pad|>} placeholder its features replace, and M-RoPE's split of the rotary
     * frequencies into temporal / height / width sections (head_dim / 2 in all).
     */
    public record VisionConfig(int depth, int embedDim, int heads, int mlpRatio, int patchSize, int temporalPatchSize,
                               int mergeSize, int inChannels, String hiddenAct, double ropeTheta, int imageTokenId,
                               List<Integer> mropeSection) {
        public int patchDim() { return inChannels * temporalPatchSize * patchSize * patchSize; }
        public int headDim() { return embedDim / heads; }

        @Override
        public String toString() {
            return "vision " + depth + " blocks, width " + embedDim + ", " + heads + " heads, patch " + patchSize + ", merge " + mergeSize;
        }
    }

    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.exists(file)) throw new ModelError(dir + ": no config.json (is this a Hugging Face model folder?)");
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelError(file + ": not valid JSON: " + embtune.Json.problem(e));
        }
        if (c == null || !c.isObject()) throw new ModelError(file + ": not a JSON object");
        String type = c.path("model_type").asText("");
        if (type.isEmpty()) throw new ModelError(file + ": no model_type; supported: " + Family.supported());
        return parse(Family.of(type, file.toString()), (ObjectNode) c, file.toString());
    }

    /**
     * What a family reads beyond the sizes every transformer has: norms, activation, biases, the
     * rotary frequency and sliding window of each layer, Qwen3's q/k norms, a vision tower.
     */
    public record Architecture(double normEps, String hiddenAct, boolean attentionBias, boolean mlpBias, boolean normBias,
                               boolean qkNorm, List<Double> ropeThetaPerLayer, List<Boolean> slidingPerLayer, int slidingWindow,
                               VisionConfig vision) {}

    public static ModelConfig parse(Family f, ObjectNode top, String where) {
        ObjectNode c = f.textConfig(top);
        int hidden = required(c, "hidden_size", where);
        int layers = required(c, "num_hidden_layers", where);
        int heads = required(c, "num_attention_heads", where);
        int kvHeads = c.path("num_key_value_heads").asInt(heads);
        int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hidden / heads;
        int inter = required(c, "intermediate_size", where);
        int vocab = required(c, "vocab_size", where);
        int maxPos = c.path("max_position_embeddings").asInt(512);
        for (var e : java.util.Map.of("hidden_size", hidden, "num_hidden_layers", layers, "num_attention_heads", heads,
                "num_key_value_heads", kvHeads, "head_dim", headDim, "intermediate_size", inter, "vocab_size", vocab,
                "max_position_embeddings", maxPos).entrySet())
            if (e.getValue() < 1) throw new ModelError(where + ": " + e.getKey() + " is " + e.getValue() + "; it must be at least 1");
        if (!c.hasNonNull("head_dim") && hidden % heads != 0)
            throw new ModelError(where + ": hidden_size " + hidden + " is not divisible by num_attention_heads " + heads
                    + " (each head takes hidden_size / heads dimensions)");
        if (heads % kvHeads != 0)
            throw new ModelError(where + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        Architecture a = f.architecture(c, layers, headDim, where);
        return new ModelConfig(f, hidden, layers, heads, kvHeads, headDim, inter, vocab, maxPos, a.normEps(), a.hiddenAct(),
                a.attentionBias(), a.mlpBias(), a.normBias(), a.qkNorm(), c.path("type_vocab_size").asInt(2),
                List.copyOf(a.ropeThetaPerLayer()), List.copyOf(a.slidingPerLayer()), a.slidingWindow(),
                c.hasNonNull("pad_token_id") ? c.get("pad_token_id").asInt() : null, a.vision(), top);
    }

    static int required(JsonNode c, String field, String where) {
        JsonNode v = c.get(field);
        if (v == null || !v.canConvertToInt()) throw new ModelError(where + ": field '" + field + "' missing or not an integer");
        if (v.asInt() < 1) throw new ModelError(where + ": " + field + " is " + v.asInt() + "; it must be at least 1");
        return v.asInt();
    }

    /**
     * A dropout probability under transformers' name for it ({@code hidden_dropout_prob}, {@code attention_dropout}, ...),
     * or {@code otherwise} (transformers' default for the family) where the config has none; applied only while training.
     */
    public double dropout(String field, double otherwise) {
        if (raw == null) return otherwise;
        com.fasterxml.jackson.databind.JsonNode v = family.textConfig(raw).get(field);
        return v != null && v.isNumber() ? v.asDouble() : otherwise;
    }

    /** The dtype the checkpoint declares ({@code torch_dtype}, or transformers 5's {@code dtype}), or null. */
    public String torchDtype() {
        if (raw == null) return null;
        for (String k : new String[] {"torch_dtype", "dtype"})
            if (raw.path(k).isTextual()) return raw.path(k).asText();
        return null;
    }

    @Override
    public String toString() {
        return family.modelType() + " " + layers + " layers, hidden " + hiddenSize + ", " + heads + " heads"
                + (kvHeads != heads ? " (" + kvHeads + " kv)" : "") + ", vocab " + vocabSize + (vision != null ? "; " + vision : "");
    }
}
