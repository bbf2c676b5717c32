package embtune.model;

import embtune.weights.AtomicDir;
import embtune.weights.SafetensorsWriter;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an {@link Embedder} as a model folder: {@code config.json}, float32
 * {@code model.safetensors} with checkpoint names, the tokenizer files, and the
 * sentence-transformers files (copied from the source folder when it had them, else written
 * for the pooling in use). Everything goes to a temporary sibling folder that is renamed into
 * place at the end, so a crash leaves either the old folder or the new one, never a mix.
 */
public final class ModelSaver {
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.txt", "vocab.json", "merges.txt", "added_tokens.json", "generation_config.json",
            "preprocessor_config.json", "chat_template.json", "chat_template.jinja");
    static final List<String> ST_FILES = List.of("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelSaver() {}

    static void save(Embedder model, Path out, boolean overwrite) {
        AtomicDir.write(out, overwrite, tmp -> writeInto(model, tmp));
    }

    /** The model's files into an existing (empty) folder; callers make the write atomic. */
    public static void writeInto(Embedder model, Path tmp) throws IOException {
        for (var m : model.encoder().namedModules().values())
            if (m instanceof embtune.nn.Linear lin && lin.hasLora())
                throw new IllegalStateException("the model has LoRA adapters attached: merge them into the weights "
                        + "(export --merge_lora true) or save the adapter, not the full model");
        writeConfig(model, tmp);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Family family = model.family();
        model.encoder().namedParameters().forEach((n, p) -> tensors.put(family.tensorName(n), p.getArray()));
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        writeTokenizerAndModules(model, tmp);
    }

    /**
     * What {@code SentenceTransformer(folder)} reads besides the weights: the tokenizer files and
     * the module files (modules.json, pooling, normalize). A PEFT adapter folder with these loads in
     * sentence-transformers directly, as its own adapter checkpoints do (transformers puts the
     * adapter on the base named in adapter_config.json).
     */
    public static void writeTokenizerAndModules(Embedder model, Path tmp) throws IOException {
        Path src = model.dir().path();
        for (String f : TOKENIZER_FILES) copyIfExists(src.resolve(f), tmp.resolve(f));
        if (model.dir().sentenceTransformers()) copySentenceTransformers(src, tmp);
        else if (model.family().writesSentenceTransformers()) writeSentenceTransformers(model, tmp);
    }

    private static void writeConfig(Embedder model, Path tmp) throws IOException {
        ObjectNode config = model.encoder().config().raw().deepCopy();
        config.put("torch_dtype", "float32");
        if (config.has("dtype")) config.put("dtype", "float32");
        JSON.writeValue(tmp.resolve("config.json").toFile(), config);
    }

    private static void copySentenceTransformers(Path src, Path tmp) throws IOException {
        for (String f : ST_FILES) copyIfExists(src.resolve(f), tmp.resolve(f));
        for (var m : JSON.readTree(src.resolve("modules.json").toFile())) {
            String sub = m.path("path").asText();
            if (sub.isEmpty()) continue;
            Path from = src.resolve(sub);
            if (!Files.isDirectory(from)) continue;
            Files.createDirectories(tmp.resolve(sub));
            try (var files = Files.list(from)) {
                for (Path f : (Iterable<Path>) files::iterator)
                    if (Files.isRegularFile(f)) Files.copy(f, tmp.resolve(sub).resolve(f.getFileName()));
            }
        }
    }

    /** sentence-transformers' long-standing file layout, which every version since 2.x reads. */
    private static void writeSentenceTransformers(Embedder model, Path tmp) throws IOException {
        writeSentenceTransformers(tmp, model.pooling(), model.dimension(), model.tokenizer().maxLength(), model.queryPrompt(), "");
    }

    /**
     * modules.json, 1_Pooling/config.json, 2_Normalize/ (when normalising), sentence_bert_config.json
     * and config_sentence_transformers.json (prompts) for a Transformer + Pooling (+ Normalize) model.
     */
    public static void writeSentenceTransformers(Path dir, Pooling pooling, int dimension, int maxSeqLength,
                                                 String queryPrompt, String documentPrompt) throws IOException {
        var modules = JSON.createArrayNode();
        modules.addObject().put("idx", 0).put("name", "0").put("path", "").put("type", "sentence_transformers.models.Transformer");
        modules.addObject().put("idx", 1).put("name", "1").put("path", "1_Pooling").put("type", "sentence_transformers.models.Pooling");
        if (pooling.normalize())
            modules.addObject().put("idx", 2).put("name", "2").put("path", "2_Normalize").put("type", "sentence_transformers.models.Normalize");
        JSON.writeValue(dir.resolve("modules.json").toFile(), modules);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Pooling.Mode mode = pooling.mode();
        ObjectNode pc = JSON.createObjectNode().put("word_embedding_dimension", dimension)
                .put("pooling_mode_cls_token", mode == Pooling.Mode.CLS)
                .put("pooling_mode_mean_tokens", mode == Pooling.Mode.MEAN)
                .put("pooling_mode_max_tokens", mode == Pooling.Mode.MAX)
                .put("pooling_mode_mean_sqrt_len_tokens", false)
                .put("pooling_mode_weightedmean_tokens", false)
                .put("pooling_mode_lasttoken", mode == Pooling.Mode.LAST_TOKEN)
                .put("include_prompt", true);
        JSON.writeValue(dir.resolve("1_Pooling/config.json").toFile(), pc);
        if (pooling.normalize()) Files.createDirectories(dir.resolve("2_Normalize"));
        JSON.writeValue(dir.resolve("sentence_bert_config.json").toFile(),
                JSON.createObjectNode().put("max_seq_length", maxSeqLength).put("do_lower_case", false));
        ObjectNode cst = JSON.createObjectNode();
        ObjectNode prompts = cst.putObject("prompts");
        prompts.put("query", queryPrompt);
        prompts.put("document", documentPrompt);
        cst.putNull("default_prompt_name");
        cst.put("similarity_fn_name", "cosine");
        JSON.writeValue(dir.resolve("config_sentence_transformers.json").toFile(), cst);
    }

    static void copyIfExists(Path from, Path to) throws IOException {
        if (Files.exists(from)) Files.copy(from, to);
    }
}
