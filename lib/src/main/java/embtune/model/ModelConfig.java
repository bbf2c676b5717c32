package embtune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
            throw new ModelError(file + ": not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()).lines().findFirst().orElse(""));
        }
        if (c == null || !c.isObject()) throw new ModelError(file + ": not a JSON object");
        String type = c.path("model_type").asText("");
        if (type.isEmpty()) throw new ModelError(file + ": no model_type; supported: " + Family.supported());
        return parse(Family.of(type, file.toString()), (ObjectNode) c, file.toString());
    }

    static ModelConfig parse(Family f, ObjectNode top, String where) {
        // Qwen2-VL: transformers 5 nests the text model's fields in text_config; older configs keep them at the top
        ObjectNode c = f == Family.QWEN2_VL && top.get("text_config") instanceof ObjectNode t ? merged(top, t) : top;
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
        List<Double> theta = new ArrayList<>();
        List<Boolean> sliding = new ArrayList<>();
        int window = 0;
        double eps;
        String act;
        boolean attnBias, mlpBias = false, normBias = true;
        VisionConfig vision = null;
        switch (f) {
            case QWEN3, QWEN2, QWEN2_VL -> {
                eps = c.path("rms_norm_eps").asDouble(1e-6);
                act = c.path("hidden_act").asText("silu");
                attnBias = f != Family.QWEN3 || c.path("attention_bias").asBoolean(false); // Qwen2 always has q/k/v bias
                double t = c.path("rope_parameters").path("rope_theta").asDouble(c.path("rope_theta").asDouble(10000));
                String ropeType = c.path("rope_parameters").path("rope_type").asText("default");
                if (f == Family.QWEN2_VL) {
                    vision = vision(c, headDim, where);
                    if (c.path("rope_scaling").path("mrope_section").isArray()) ropeType = "default"; // older configs: {"type": "mrope", ...}
                } else if (c.hasNonNull("rope_scaling")) ropeType = c.get("rope_scaling").path("rope_type").asText(c.get("rope_scaling").path("type").asText("?"));
                if (!ropeType.equals("default"))
                    throw new ModelError(where + ": rope scaling '" + ropeType + "' is not supported yet (default RoPE only)");
                if (c.path("use_sliding_window").asBoolean(false))
                    throw new ModelError(where + ": use_sliding_window=true is not supported for " + f.modelType());
                for (int i = 0; i < layers; i++) {
                    theta.add(t);
                    sliding.add(false);
                }
            }
            case BERT -> {
                eps = c.path("layer_norm_eps").asDouble(1e-12);
                act = c.path("hidden_act").asText("gelu");
                attnBias = true;
                mlpBias = true;
                String pos = c.path("position_embedding_type").asText("absolute");
                if (!pos.equals("absolute")) throw new ModelError(where + ": position_embedding_type '" + pos + "' is not supported");
            }
            case MODERNBERT -> {
                eps = c.path("norm_eps").asDouble(1e-5);
                act = c.path("hidden_activation").asText("gelu");
                attnBias = c.path("attention_bias").asBoolean(false);
                mlpBias = c.path("mlp_bias").asBoolean(false);
                normBias = c.path("norm_bias").asBoolean(false);
                window = c.path("local_attention").asInt(128);
                int every = c.path("global_attn_every_n_layers").asInt(3);
                JsonNode rp = c.path("rope_parameters");
                double global = rp.path("full_attention").path("rope_theta").asDouble(c.path("global_rope_theta").asDouble(160000));
                double local = rp.path("sliding_attention").path("rope_theta").asDouble(c.path("local_rope_theta").asDouble(10000));
                JsonNode types = c.path("layer_types");
                for (int i = 0; i < layers; i++) {
                    boolean s = types.isArray() && types.size() == layers
                            ? types.get(i).asText().equals("sliding_attention")
                            : i % every != 0;
                    sliding.add(s);
                    theta.add(s ? local : global);
                }
            }
            default -> throw new AssertionError(f);
        }
        return new ModelConfig(f, hidden, layers, heads, kvHeads, headDim, inter, vocab, maxPos, eps, act, attnBias,
                mlpBias, normBias, c.path("type_vocab_size").asInt(2), List.copyOf(theta), List.copyOf(sliding), window,
                c.hasNonNull("pad_token_id") ? c.get("pad_token_id").asInt() : null, vision, top);
    }

    /** The top level with text_config's fields over it (text_config wins where both have a field). */
    private static ObjectNode merged(ObjectNode top, ObjectNode text) {
        ObjectNode m = top.deepCopy();
        m.remove("text_config");
        m.setAll(text.deepCopy());
        return m;
    }

    private static VisionConfig vision(ObjectNode c, int headDim, String where) {
        JsonNode v = c.path("vision_config");
        if (!v.isObject()) throw new ModelError(where + ": a qwen2_vl config needs vision_config");
        JsonNode section = c.path("rope_parameters").path("mrope_section");
        if (!section.isArray()) section = c.path("rope_scaling").path("mrope_section");
        List<Integer> mrope = new ArrayList<>();
        section.forEach(n -> mrope.add(n.asInt()));
        if (mrope.isEmpty()) mrope.addAll(List.of(16, 24, 24)); // transformers' default
        if (mrope.size() != 3 || mrope.stream().mapToInt(Integer::intValue).sum() * 2 != headDim)
            throw new ModelError(where + ": mrope_section " + mrope + " must be three numbers adding up to head_dim / 2 = " + headDim / 2);
        int embed = v.path("embed_dim").asInt(1280), heads = v.path("num_heads").asInt(16);
        if (embed % heads != 0) throw new ModelError(where + ": vision_config embed_dim " + embed + " is not divisible by num_heads " + heads);
        String act = v.path("hidden_act").asText("quick_gelu");
        if (!act.equals("quick_gelu") && !act.equals("gelu"))
            throw new ModelError(where + ": vision_config hidden_act '" + act + "' is not supported (quick_gelu, gelu)");
        if (!c.hasNonNull("image_token_id")) throw new ModelError(where + ": a qwen2_vl config needs image_token_id");
        int hidden = v.path("hidden_size").asInt(c.path("hidden_size").asInt());
        if (hidden != c.path("hidden_size").asInt())
            throw new ModelError(where + ": vision_config hidden_size " + hidden + " differs from the text model's " + c.path("hidden_size").asInt());
        VisionConfig vc = new VisionConfig(v.path("depth").asInt(32), embed, heads, v.path("mlp_ratio").asInt(4), v.path("patch_size").asInt(14),
                v.path("temporal_patch_size").asInt(2), v.path("spatial_merge_size").asInt(2), v.path("in_channels").asInt(v.path("in_chans").asInt(3)), act,
                v.path("rope_parameters").path("rope_theta").asDouble(10000), c.get("image_token_id").asInt(), List.copyOf(mrope));
        for (int n : new int[] {vc.depth(), vc.embedDim(), vc.heads(), vc.mlpRatio(), vc.patchSize(), vc.temporalPatchSize(), vc.mergeSize(), vc.inChannels()})
            if (n < 1) throw new ModelError(where + ": vision_config sizes must be at least 1: " + vc);
        return vc;
    }

    private static int required(JsonNode c, String field, String where) {
        JsonNode v = c.get(field);
        if (v == null || !v.canConvertToInt()) throw new ModelError(where + ": field '" + field + "' missing or not an integer");
        if (v.asInt() < 1) throw new ModelError(where + ": " + field + " is " + v.asInt() + "; it must be at least 1");
        return v.asInt();
    }

    @Override
    public String toString() {
        return family.modelType() + " " + layers + " layers, hidden " + hiddenSize + ", " + heads + " heads"
                + (kvHeads != heads ? " (" + kvHeads + " kv)" : "") + ", vocab " + vocabSize + (vision != null ? "; " + vision : "");
    }
}
