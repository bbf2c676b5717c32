package embtune.model;

import embtune.ModelError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.vision.ImageProcessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * GME (gme-Qwen2-VL-2B/7B-Instruct): a Qwen2 language model with a vision tower, embedding text and
 * images through GME's prompt ({@link GmeInputs}). Its files: this class, {@link QwenVlEncoder},
 * {@link VisionTower} and {@link GmeInputs}. Checkpoints use Qwen2VLForConditionalGeneration's
 * names; LoRA adapts the language model only; full training freezes the tower and its merger
 * unless told otherwise (ms-swift's defaults).
 */
final class GmeFamily extends Family {
    private static final String VL_TEXT = "base_model.model.model.language_model.", WRAPPED = "base_model.model.model.";

    GmeFamily() {
        super("qwen2_vl", "GME gme-Qwen2-VL-2B/7B-Instruct: text and images", Pooling.Mode.LAST_TOKEN, "qwen2_gme", "qwen2_vl");
    }

    @Override
    public boolean isDecoder() {
        return true;
    }

    @Override
    public boolean hasVision() {
        return true;
    }

    // ---- config

    /** transformers 5 nests the text model's fields in text_config; older configs keep them at the top. */
    @Override
    protected ObjectNode textConfig(ObjectNode top) {
        if (!(top.get("text_config") instanceof ObjectNode text)) return top;
        ObjectNode m = top.deepCopy();
        m.remove("text_config");
        m.setAll(text.deepCopy()); // text_config wins where both have a field
        return m;
    }

    @Override
    protected ModelConfig.Architecture architecture(JsonNode c, int layers, int headDim, String where) {
        String ropeType = c.path("rope_parameters").path("rope_type").asText("default");
        if (c.path("rope_scaling").path("mrope_section").isArray()) ropeType = "default"; // older configs: {"type": "mrope", ...}
        return QwenFamily.qwenArchitecture(modelType(), c, layers, ropeType, false, true, vision(c, headDim, where), where);
    }

    private static ModelConfig.VisionConfig vision(JsonNode c, int headDim, String where) {
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
        ModelConfig.VisionConfig vc = new ModelConfig.VisionConfig(v.path("depth").asInt(32), embed, heads, v.path("mlp_ratio").asInt(4),
                v.path("patch_size").asInt(14), v.path("temporal_patch_size").asInt(2), v.path("spatial_merge_size").asInt(2),
                v.path("in_channels").asInt(v.path("in_chans").asInt(3)), act, v.path("rope_parameters").path("rope_theta").asDouble(10000),
                c.get("image_token_id").asInt(), List.copyOf(mrope));
        for (int n : new int[] {vc.depth(), vc.embedDim(), vc.heads(), vc.mlpRatio(), vc.patchSize(), vc.temporalPatchSize(), vc.mergeSize(), vc.inChannels()})
            if (n < 1) throw new ModelError(where + ": vision_config sizes must be at least 1: " + vc);
        return vc;
    }

    // ---- network and inputs

    @Override
    public Encoder encoder(ModelConfig config) {
        return new QwenVlEncoder(config);
    }

    /** GME's recipe pads on the right whatever tokenizer_config.json says (its script sets padding_side = 'right'). */
    @Override
    public TextTokenizer.Side paddingSide(TextTokenizer.Side fromFolder) {
        return TextTokenizer.Side.RIGHT;
    }

    @Override
    public ModelInputs inputs(TextTokenizer tokenizer, Path dir, ModelConfig config) {
        return new GmeInputs(tokenizer, ImageProcessor.read(dir), config.vision(), null);
    }

    // ---- save layout: Qwen2VLForConditionalGeneration names the text model "model.*" beside "visual.*"

    @Override
    public String tensorName(String parameter) {
        return parameter.startsWith("visual.") ? parameter : "model." + parameter;
    }

    /** peft's paths: model.language_model.* and model.visual.* (a *ForCausalLM wrapper puts everything under model.*). */
    @Override
    public String peftKey(String parameter) {
        return parameter.startsWith("visual.") ? WRAPPED + parameter : VL_TEXT + parameter;
    }

    /** GME folders are read with transformers and its recipe, not as sentence-transformers modules. */
    @Override
    public boolean writesSentenceTransformers() {
        return false;
    }

    // ---- training

    /** all-linear means the language model's linear layers (the tower's have other names: qkv, proj, fc1, fc2, mlp.0, mlp.2). */
    @Override
    public List<String> loraTargets(List<String> requested) {
        List<String> out = new ArrayList<>();
        for (String t : requested)
            if (t.equals("all-linear")) out.addAll(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));
            else out.add(t);
        return out;
    }

    @Override
    public String loraRefusal(boolean freezeVit, boolean freezeAligner) {
        return freezeVit && freezeAligner ? null
                : "--freeze_vit false / --freeze_aligner false train the vision tower, which LoRA does not adapt here; "
                        + "use --train_type full for that (LoRA adapts GME's language model)";
    }

    @Override
    public boolean frozen(String parameter, boolean freezeVit, boolean freezeAligner) {
        return freezeVit && (parameter.startsWith("visual.blocks.") || parameter.startsWith("visual.patch_embed."))
                || freezeAligner && parameter.startsWith("visual.merger.");
    }

    @Override
    public String freezingNote(boolean freezeVit, boolean freezeAligner) {
        return "vision tower " + (freezeVit ? "frozen" : "trained") + ", merger " + (freezeAligner ? "frozen" : "trained");
    }
}
