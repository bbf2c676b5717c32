package embtune.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * ModernBERT (gte-modernbert): rotary positions with a global theta on every n-th layer and a
 * local one, over a sliding window, on the others; CLS pooling.
 */
final class ModernBertFamily extends Family {
    ModernBertFamily() {
        super("modernbert", "gte-modernbert", Pooling.Mode.CLS, "modern_bert_gte", "modern_bert", "modernbert");
    }

    @Override
    protected ModelConfig.Architecture architecture(JsonNode c, int layers, int headDim, String where) {
        int every = c.path("global_attn_every_n_layers").asInt(3);
        JsonNode rp = c.path("rope_parameters");
        // transformers renamed the thetas: rope_parameters.{full,sliding}_attention in 5.x, global/local_rope_theta before
        double global = rp.path("full_attention").path("rope_theta").asDouble(c.path("global_rope_theta").asDouble(160000));
        double local = rp.path("sliding_attention").path("rope_theta").asDouble(c.path("local_rope_theta").asDouble(10000));
        JsonNode types = c.path("layer_types");
        List<Double> theta = new ArrayList<>();
        List<Boolean> sliding = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            boolean s = types.isArray() && types.size() == layers ? types.get(i).asText().equals("sliding_attention") : i % every != 0;
            sliding.add(s);
            theta.add(s ? local : global);
        }
        return new ModelConfig.Architecture(c.path("norm_eps").asDouble(1e-5), c.path("hidden_activation").asText("gelu"),
                c.path("attention_bias").asBoolean(false), c.path("mlp_bias").asBoolean(false), c.path("norm_bias").asBoolean(false),
                false, theta, sliding, c.path("local_attention").asInt(128), null);
    }

    @Override
    public Encoder encoder(ModelConfig config) {
        return new ModernBertEncoder(config);
    }

    @Override
    public ScoreHead classifierHead(ModelConfig c, String where) {
        com.fasterxml.jackson.databind.JsonNode raw = c.raw();
        String act = raw.path("classifier_activation").asText("gelu");
        if (!act.equals("gelu")) throw new embtune.ModelError(where + ": classifier_activation '" + act + "' is not supported (gelu only)");
        String pooling = raw.path("classifier_pooling").asText("cls");
        if (!pooling.equals("cls") && !pooling.equals("mean"))
            throw new embtune.ModelError(where + ": classifier_pooling '" + pooling + "' is not supported (cls or mean)");
        return new ModernBertHead(c.hiddenSize(), raw.path("classifier_bias").asBoolean(false), c.normBias(), c.normEps(), pooling.equals("mean"),
                c.dropout("classifier_dropout", 0));
    }
}
