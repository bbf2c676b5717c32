package embtune.rerank;

import ai.djl.ndarray.NDArray;
import embtune.lora.Lora;
import embtune.weights.AtomicDir;
import embtune.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a reranker as the transformers folder it was loaded from: config.json, the tokenizer
 * files and model.safetensors under the class's own names ({@code bert.*} / {@code model.*},
 * {@code classifier.*}), so {@code CrossEncoder(dir)} or {@code AutoModelForCausalLM} load it.
 * Adapters must be merged first (a LoRA run saves them with {@link RerankerAdapter#write}).
 */
public final class RerankerSaver {
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.txt", "generation_config.json");

    private RerankerSaver() {}

    public static void save(Reranker model, Path out, boolean overwrite) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        model.parameters().forEach((n, p) -> {
            if (Lora.isLora(n)) throw new IllegalStateException("merge the LoRA adapters before saving the full model (or save the adapter)");
            tensors.put(model.checkpointName(n), p.getArray());
        });
        AtomicDir.write(out, overwrite, tmp -> {
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            Files.copy(model.dir().resolve("config.json"), tmp.resolve("config.json"));
            copyTokenizer(model.dir(), tmp);
        });
    }

    static void copyTokenizer(Path from, Path to) throws IOException {
        for (String f : TOKENIZER_FILES)
            if (Files.exists(from.resolve(f))) Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
}
