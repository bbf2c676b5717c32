package embtune.model;

import embtune.ModelError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a model folder says about itself: the architecture ({@code config.json}), the tokenizer
 * settings ({@code tokenizer_config.json}) and, when present, the sentence-transformers files
 * ({@code modules.json}, {@code 1_Pooling/config.json}, {@code 2_Normalize},
 * {@code sentence_bert_config.json}, {@code config_sentence_transformers.json}). Without them
 * the family decides pooling: last token for Qwen, mean for BERT, CLS for ModernBERT; always
 * normalised.
 */
public record ModelDir(
        Path path,
        ModelConfig config,
        Pooling pooling,
        boolean sentenceTransformers,
        Integer stMaxSeqLength,
        Integer tokenizerMaxLength,
        TextTokenizer.Side paddingSide,
        Map<String, String> prompts) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelDir read(Path dir) {
        if (!Files.isDirectory(dir)) throw new ModelError(dir + ": no such model folder");
        ModelConfig config = ModelConfig.read(dir);
        JsonNode tc = json(dir.resolve("tokenizer_config.json"));
        TextTokenizer.Side side = tc != null && "left".equals(tc.path("padding_side").asText())
                ? TextTokenizer.Side.LEFT : TextTokenizer.Side.RIGHT;
        Integer tokMax = null;
        if (tc != null && tc.has("model_max_length")) {
            double m = tc.get("model_max_length").asDouble();
            if (m > 0 && m < 1e7) tokMax = (int) m; // transformers writes 1e30 for "no limit"
        }
        JsonNode modules = json(dir.resolve("modules.json"));
        boolean st = modules != null;
        Pooling pooling = new Pooling(config.family().defaultPooling(), true);
        if (st) {
            Pooling.Mode mode = null;
            boolean normalize = false;
            for (JsonNode m : modules) {
                String type = m.path("type").asText();
                if (type.endsWith(".Pooling") || type.endsWith(".pooling.Pooling")) {
                    Path p = dir.resolve(m.path("path").asText()).resolve("config.json");
                    JsonNode pc = json(p);
                    if (pc == null) throw new ModelError(dir + ": modules.json names a Pooling module but " + p + " is missing");
                    mode = Pooling.fromSentenceTransformers(pc, p.toString());
                } else if (type.endsWith(".Normalize") || type.endsWith(".normalize.Normalize")) {
                    normalize = true;
                } else if (!type.endsWith(".Transformer") && !type.endsWith(".transformer.Transformer")) {
                    throw new ModelError(dir + ": sentence-transformers module " + type + " is not supported yet "
                            + "(supported: Transformer, Pooling, Normalize)");
                }
            }
            if (mode != null) pooling = new Pooling(mode, normalize);
        }
        JsonNode sb = json(dir.resolve("sentence_bert_config.json"));
        Integer stMax = sb != null && sb.has("max_seq_length") ? sb.get("max_seq_length").asInt() : null;
        Map<String, String> prompts = new LinkedHashMap<>();
        JsonNode cst = json(dir.resolve("config_sentence_transformers.json"));
        if (cst != null) cst.path("prompts").fields().forEachRemaining(e -> prompts.put(e.getKey(), e.getValue().asText()));
        return new ModelDir(dir, config, pooling, st, stMax, tokMax, side, prompts);
    }

    /** Tokens per text: sentence-transformers' max_seq_length, else the tokenizer's, else the positions the model has. */
    public int maxLength() {
        int m = config.maxPositions();
        if (tokenizerMaxLength != null) m = Math.min(m, tokenizerMaxLength);
        if (stMaxSeqLength != null) m = Math.min(m, stMaxSeqLength);
        return m;
    }

    static JsonNode json(Path file) {
        if (!Files.exists(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelError(file + ": not valid JSON: " + embtune.Json.problem(e));
        }
    }
}
