package embtune.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.model.Embedder;
import embtune.ModelError;
import embtune.weights.Safetensors;
import embtune.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's adapter folder: {@code adapter_config.json} and {@code adapter_model.safetensors} with
 * keys {@code base_model.model.<module>.lora_A.weight}. What embtune writes, peft loads; what
 * peft writes (plain LoRA), embtune loads.
 */
public final class Adapter {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Adapter() {}

    public static boolean isAdapter(Path dir) {
        return Files.exists(dir.resolve(CONFIG));
    }

    /** Reads the adapter config, refusing PEFT features embtune does not implement. */
    public static LoraConfig readConfig(Path dir) {
        return readConfig(dir, List.of());
    }

    /** @param savedModules the modules_to_save the caller restores itself (a reranker's classifier) */
    public static LoraConfig readConfig(Path dir, List<String> savedModules) {
        Path f = dir.resolve(CONFIG);
        if (!Files.exists(f)) throw new ModelError(dir + ": no " + CONFIG + " (not a PEFT adapter folder)");
        JsonNode c;
        try {
            c = JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new ModelError(f + ": not valid JSON: " + embtune.Json.problem(e));
        }
        if (!"LORA".equals(c.path("peft_type").asText("LORA"))) throw new ModelError(f + ": peft_type " + c.get("peft_type") + " is not LORA");
        if (c.path("use_dora").asBoolean(false)) throw new ModelError(f + ": DoRA adapters are not supported");
        if (!c.path("bias").asText("none").equals("none")) throw new ModelError(f + ": bias '" + c.get("bias").asText() + "' is not supported (none only)");
        if (c.path("fan_in_fan_out").asBoolean(false)) throw new ModelError(f + ": fan_in_fan_out adapters are not supported");
        for (JsonNode m : c.path("modules_to_save"))
            if (!savedModules.contains(m.asText()))
                throw new ModelError(f + ": modules_to_save " + c.get("modules_to_save") + " is not supported" + (savedModules.isEmpty() ? "" : " (only " + savedModules + ")"));
        if (c.path("rank_pattern").size() > 0 || c.path("alpha_pattern").size() > 0)
            throw new ModelError(f + ": per-module rank_pattern / alpha_pattern are not supported");
        List<String> targets = new ArrayList<>();
        JsonNode t = c.get("target_modules");
        if (t != null && t.isArray()) t.forEach(n -> targets.add(n.asText()));
        else if (t != null && t.isTextual()) targets.add(t.asText());
        if (c.has("r") && !(c.get("r").isIntegralNumber() && c.get("r").canConvertToInt() && c.get("r").asInt() >= 1))
            throw new ModelError(f + ": field 'r' is " + c.get("r") + "; the rank must be a whole number from 1 to " + Integer.MAX_VALUE);
        return new LoraConfig(c.path("r").asInt(8), c.path("lora_alpha").asDouble(8), c.path("lora_dropout").asDouble(0), targets,
                c.path("use_rslora").asBoolean(false));
    }

    /** The base model an adapter was made for, as its config records it (may be null). */
    public static String baseModel(Path dir) {
        try {
            JsonNode c = JSON.readTree(dir.resolve(CONFIG).toFile());
            return c.hasNonNull("base_model_name_or_path") ? c.get("base_model_name_or_path").asText() : null;
        } catch (IOException e) {
            throw new ModelError(dir.resolve(CONFIG) + ": not valid JSON: " + embtune.Json.problem(e));
        }
    }

    // Qwen2VLForConditionalGeneration's module paths under peft: model.language_model.* and model.visual.*;
    // a *ForCausalLM wrapper (and older Qwen2-VL) puts everything under model.*
    private static final String VL_TEXT = PREFIX + "model.language_model.", WRAPPED = PREFIX + "model.";

    /** The key peft gives an adapter tensor: its module path in the model class transformers loads. */
    static String key(Embedder model, String name) {
        return model.family().peftKey(name);
    }

    /** An adapter tensor's name in embtune's modules, from peft's key (any of the layouts above). */
    static String moduleName(String key) {
        String name = key;
        for (String p : java.util.List.of(VL_TEXT, WRAPPED, PREFIX))
            if (name.startsWith(p)) {
                name = name.substring(p.length());
                break;
            }
        return name.replace(".default.", "."); // some peft versions keep the adapter name
    }

    /**
     * Refuses an adapter made for another architecture before anything is attached: the base's
     * {@code model_type} as the adapter records it (the config.json of its
     * {@code base_model_name_or_path} when that folder is here, else peft's {@code auto_mapping})
     * must be the one of {@code model}. Shapes alone cannot tell: a small Qwen3, Qwen2 and GME
     * language model can have the same layer shapes, and the merge would then run without a word.
     */
    public static void requireBase(Embedder model, Path dir) {
        JsonNode c;
        try {
            c = JSON.readTree(dir.resolve(CONFIG).toFile());
        } catch (IOException e) {
            throw new ModelError(dir.resolve(CONFIG) + ": not valid JSON: " + embtune.Json.problem(e));
        }
        String wanted = null, source = null;
        String base = c.hasNonNull("base_model_name_or_path") ? c.get("base_model_name_or_path").asText() : null;
        Path baseConfig = base == null || base.isBlank() ? null : Path.of(base).resolve("config.json");
        if (baseConfig != null && Files.isRegularFile(baseConfig)) {
            try {
                wanted = JSON.readTree(baseConfig.toFile()).path("model_type").asText(null);
                source = "base_model_name_or_path " + base;
            } catch (IOException e) {
                throw new ModelError(baseConfig + ": not valid JSON: " + embtune.Json.problem(e));
            }
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("transformers\\.models\\.(\\w+)\\.modeling_\\w+")
                .matcher(c.path("auto_mapping").path("parent_library").asText(""));
        if (wanted == null && m.matches()) {
            wanted = m.group(1);
            source = "auto_mapping " + c.path("auto_mapping").path("base_model_class").asText(m.group(1));
        }
        String actual = model.dir().config().family().modelType();
        if (wanted != null && !wanted.equals(actual))
            throw new ModelError(dir + ": this adapter was made for a " + wanted + " model (" + source + " in " + CONFIG + "), but the base "
                    + model.dir().path() + " is a " + actual + " model; pass the base it was trained on (--model)");
    }

    /** Attaches the adapter in {@code dir} to {@code model} with its saved weights, after {@link #requireBase}. */
    public static LoraConfig load(Embedder model, Path dir) {
        LoraConfig config = readConfig(dir);
        requireBase(model, dir);
        Lora.attach(model, config);
        Safetensors st = Safetensors.open(dir.resolve(WEIGHTS));
        Map<String, Parameter> params = Lora.parameters(model.encoder());
        Map<String, ai.djl.ndarray.types.Shape> shapes = model.encoder().parameterShapes();
        for (String key : st.tensors().keySet()) {
            String name = moduleName(key);
            Parameter p = params.get(name);
            if (p == null) throw new ModelError(dir.resolve(WEIGHTS) + ": tensor '" + key + "' matches no adapted layer of this model");
            if (!shapes.get(name).equals(new ai.djl.ndarray.types.Shape(st.tensors().get(key).shape())))
                throw new ModelError(dir.resolve(WEIGHTS) + ": '" + key + "' has shape " + java.util.Arrays.toString(st.tensors().get(key).shape())
                        + " but the layer needs " + shapes.get(name));
            NDArray a = st.load(key, model.manager());
            NDScope.unregister(a);
            p.setArray(a);
        }
        List<String> missing = new ArrayList<>();
        params.forEach((n, p) -> { if (!p.isInitialized()) missing.add(n); });
        if (!missing.isEmpty())
            throw new ModelError(dir.resolve(WEIGHTS) + ": no weights for " + missing.size() + " adapter matrices, e.g. " + missing.get(0));
        return config;
    }

    /**
     * Writes the attached adapters as a PEFT folder into an existing directory, with the base's
     * tokenizer and sentence-transformers module files so that {@code SentenceTransformer(dir)}
     * loads it as it is.
     */
    public static void writeInto(Embedder model, LoraConfig config, String baseModel, Path dir) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        Lora.parameters(model.encoder()).forEach((n, p) -> tensors.put(key(model, n), p.getArray()));
        SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        List<String> modules = new ArrayList<>();
        for (String n : Lora.parameters(model.encoder()).keySet()) {
            String path = n.substring(0, n.indexOf(".lora_"));
            String last = path.substring(path.lastIndexOf('.') + 1);
            if (!modules.contains(last)) modules.add(last);
        }
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA").putNull("task_type").put("base_model_name_or_path", baseModel)
                .put("r", config.r()).put("lora_alpha", config.alpha()).put("lora_dropout", config.dropout())
                .put("use_rslora", config.rslora()).put("use_dora", false).put("bias", "none")
                .put("fan_in_fan_out", false).put("init_lora_weights", true).put("inference_mode", true);
        c.putPOJO("target_modules", modules);
        c.putNull("modules_to_save");
        JSON.writeValue(dir.resolve(CONFIG).toFile(), c);
        embtune.model.ModelSaver.writeTokenizerAndModules(model, dir);
    }
}
