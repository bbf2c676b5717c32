package embtune.model;

import embtune.ModelError;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;

/**
 * Qwen3 (Qwen3-Embedding 0.6B/4B/8B) and Qwen2 (gte-Qwen2): decoders that pool the last token.
 * They differ in two places: Qwen3 normalises q and k per head and has no q/k/v bias unless
 * attention_bias says so; Qwen2 always has the bias and no q/k norms.
 */
final class QwenFamily extends Family {
    static final QwenFamily QWEN3 = new QwenFamily("qwen3", "Qwen3-Embedding 0.6B/4B/8B", true, "qwen3_emb", "qwen3");
    static final QwenFamily QWEN2 = new QwenFamily("qwen2", "gte-Qwen2", false, "qwen2_gte", "qwen2");

    private final boolean qkNorm;

    private QwenFamily(String modelType, String examples, boolean qkNorm, String... swiftModelTypes) {
        super(modelType, examples, Pooling.Mode.LAST_TOKEN, swiftModelTypes);
        this.qkNorm = qkNorm;
    }

    @Override
    public boolean isDecoder() {
        return true;
    }

    @Override
    protected ModelConfig.Architecture architecture(JsonNode c, int layers, int headDim, String where) {
        String ropeType = c.path("rope_parameters").path("rope_type").asText("default");
        if (c.hasNonNull("rope_scaling")) ropeType = c.get("rope_scaling").path("rope_type").asText(c.get("rope_scaling").path("type").asText("?"));
        return qwenArchitecture(modelType(), c, layers, ropeType, qkNorm, !qkNorm || c.path("attention_bias").asBoolean(false), null, where);
    }

    /** What every Qwen text model reads (GME's language model too); {@code ropeType} must be default RoPE. */
    static ModelConfig.Architecture qwenArchitecture(String modelType, JsonNode c, int layers, String ropeType, boolean qkNorm, boolean attentionBias,
                                                     ModelConfig.VisionConfig vision, String where) {
        if (!ropeType.equals("default"))
            throw new ModelError(where + ": rope scaling '" + ropeType + "' is not supported yet (default RoPE only)");
        if (c.path("use_sliding_window").asBoolean(false))
            throw new ModelError(where + ": use_sliding_window=true is not supported for " + c.path("model_type").asText("this model"));
        double theta = c.path("rope_parameters").path("rope_theta").asDouble(c.path("rope_theta").asDouble(10000));
        return new ModelConfig.Architecture(c.path("rms_norm_eps").asDouble(1e-6), c.path("hidden_act").asText("silu"), attentionBias,
                false, true, qkNorm, Collections.nCopies(layers, theta), Collections.nCopies(layers, false), 0, vision);
    }

    @Override
    public Encoder encoder(ModelConfig config) {
        return new QwenEncoder(config);
    }

    @Override
    public ScoreHead answerHead(ModelConfig c, Encoder encoder, boolean tied, long yes, long no, String where) {
        return new YesNoHead(tied ? encoder.namedParameters().get("embed_tokens.weight") : null, c.vocabSize(), c.hiddenSize(), yes, no);
    }
}
