package embtune.model;

import embtune.ModelError;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** BERT encoders (MiniLM, bge, e5, ...): absolute positions, post-norm layers, mean pooling. */
final class BertFamily extends Family {
    BertFamily() {
        super("bert", "MiniLM, bge, e5 and other BERT encoders", Pooling.Mode.MEAN, "bert");
    }

    @Override
    protected ModelConfig.Architecture architecture(JsonNode c, int layers, int headDim, String where) {
        String pos = c.path("position_embedding_type").asText("absolute");
        if (!pos.equals("absolute")) throw new ModelError(where + ": position_embedding_type '" + pos + "' is not supported");
        return new ModelConfig.Architecture(c.path("layer_norm_eps").asDouble(1e-12), c.path("hidden_act").asText("gelu"),
                true, true, true, false, List.of(), List.of(), 0, null);
    }

    @Override
    public Encoder encoder(ModelConfig config) {
        return new BertEncoder(config);
    }

    @Override
    public ScoreHead classifierHead(ModelConfig config, String where) {
        return new BertPoolerHead(config.hiddenSize(), config.dropout("classifier_dropout", BertEncoder.hiddenDropout(config)));
    }
}
