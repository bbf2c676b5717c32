package embtune.model;

import embtune.ModelError;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Token embeddings [B, T, D] + attention mask [B, T] -> one vector per text [B, D], as
 * sentence-transformers' Pooling module does; then optionally L2-normalised.
 */
public record Pooling(Mode mode, boolean normalize) {
    public enum Mode {
        CLS("cls"), MEAN("mean"), LAST_TOKEN("lasttoken"), MAX("max");

        final String stName;

        Mode(String stName) {
            this.stName = stName;
        }


        public static Mode parse(String s) {
            String k = s.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
            for (Mode m : values()) if (m.stName.equals(k) || m.name().replace("_", "").equalsIgnoreCase(k)) return m;
            if (k.equals("last") || k.equals("eos")) return LAST_TOKEN;
            throw new IllegalArgumentException("unknown pooling '" + s + "'; choose cls, mean, lasttoken or max");
        }
    }

    /**
     * Reads {@code 1_Pooling/config.json} in either sentence-transformers layout:
     * {@code "pooling_mode": "lasttoken"} (v6) or {@code "pooling_mode_mean_tokens": true} (v2–v5).
     */
    static Mode fromSentenceTransformers(JsonNode c, String where) {
        if (c.hasNonNull("pooling_mode")) return Mode.parse(c.get("pooling_mode").asText());
        if (c.path("pooling_mode_cls_token").asBoolean(false)) return Mode.CLS;
        if (c.path("pooling_mode_lasttoken").asBoolean(false)) return Mode.LAST_TOKEN;
        if (c.path("pooling_mode_max_tokens").asBoolean(false)) return Mode.MAX;
        if (c.path("pooling_mode_mean_tokens").asBoolean(false)) return Mode.MEAN;
        throw new ModelError(where + ": no pooling mode set (or one embtune does not support: mean_sqrt_len, weightedmean)");
    }

    public NDArray apply(NDArray tokens, NDArray attentionMask) {
        return apply(tokens, attentionMask, x -> x);
    }

    /**
     * Pools what a per-position map (an encoder's final norm) makes of the tokens. CLS and last-token pooling
     * pick each text's one position first and map only those [B, 1, D] rows: the same numbers, without the map's
     * [B, T, D] output or what autograd keeps of it.
     */
    public NDArray apply(NDArray tokens, NDArray attentionMask, UnaryOperator<NDArray> perPosition) {
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false).expandDims(-1); // [B, T, 1]
        long t = tokens.getShape().get(1);
        NDArray pooled = switch (mode) {
            case CLS -> perPosition.apply(tokens.get(":, :1, :")).squeeze(1);
            case LAST_TOKEN -> {
                // last position whose mask is 1, for left, right or mixed padding: argmax of pos * mask
                NDArray positions = attentionMask.getManager().arange(0f, (float) t).expandDims(0);
                NDArray last = positions.mul(mask.squeeze(-1)).argMax(1);
                NDArray pick = last.oneHot((int) t).toType(tokens.getDataType(), false).expandDims(-1);
                yield perPosition.apply(tokens.mul(pick).sum(new int[] {1}, true)).squeeze(1);
            }
            case MEAN -> perPosition.apply(tokens).mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE));
            case MAX -> perPosition.apply(tokens).add(mask.neg().add(1f).mul(-1e9f)).max(new int[] {1});
        };
        return normalize ? l2(pooled) : pooled;
    }

    /** x / max(||x||, 1e-12), as torch.nn.functional.normalize. */
    public static NDArray l2(NDArray x) {
        return x.div(x.norm(new int[] {-1}, true).clip(1e-12f, Float.MAX_VALUE));
    }

    @Override
    public String toString() {
        return mode.stName + (normalize ? " + normalize" : "");
    }
}
