package embtune.rerank;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.lora.Adapter;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.ModelError;
import embtune.nn.Linear;
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
 * LoRA on a reranker, as peft's SEQ_CLS task does it: adapters on the chosen linear layers
 * (the encoder's and the pooler's), and the classification head trained whole and saved with the
 * adapter through {@code modules_to_save}, so {@code PeftModel.from_pretrained} and
 * {@code CrossEncoder(folder)} get the trained head back (sentence-transformers' own LoRA path
 * leaves it out, and its adapters score with the base's untrained head). A generative reranker's
 * head is the language model's tied embedding rows: CAUSAL_LM, nothing saved beside the adapters.
 */
public final class RerankerAdapter {
    /** peft's SEQ_CLS default for modules_to_save: the head under either name transformers uses. */
    static final List<String> HEAD_MODULES = List.of("classifier", "score");
    private static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RerankerAdapter() {}

    /** Attaches adapters on the target layers (all-linear leaves the classifier out, as peft does); their weights still to be set. */
    static Map<String, Linear> attach(Reranker model, LoraConfig config) {
        Map<String, Linear> targets = Lora.targets(model.modules(), config.targetModules());
        targets.keySet().removeIf(path -> HEAD_MODULES.contains(path) || path.equals("lm_head"));
        if (targets.isEmpty()) throw new IllegalArgumentException("target_modules " + config.targetModules() + " select only the classifier, which LoRA trains whole");
        for (Linear lin : targets.values()) lin.attachLora(config.r(), config.scaling(), config.dropout(), model.manager());
        return targets;
    }

    /** Fresh adapters: A kaiming-uniform, B zero (peft's init), seeded. */
    public static void apply(Reranker model, LoraConfig config, long seed) {
        embtune.engine.Seeds.engine(seed, embtune.engine.Seeds.Stream.LORA_INIT);
        for (Linear lin : attach(model, config).values()) {
            float bound = (float) (1 / Math.sqrt(lin.in));
            set(lin.loraA().namedParameters().get("weight"), model.manager().randomUniform(-bound, bound, new Shape(config.r(), lin.in)));
            set(lin.loraB().namedParameters().get("weight"), model.manager().zeros(new Shape(lin.out, config.r())));
        }
    }

    /** What LoRA training updates: the adapters and, for a cross-encoder, the classifier. */
    public static Map<String, Parameter> trainable(Reranker model) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        model.parameters().forEach((n, p) -> {
            if (Lora.isLora(n) || isHead(n)) out.put(n, p);
        });
        return out;
    }

    private static boolean isHead(String parameter) {
        return HEAD_MODULES.stream().anyMatch(h -> parameter.startsWith(h + "."));
    }

    /** Attaches the peft adapter in {@code dir} with its weights, and its saved classifier over the base's. */
    public static LoraConfig load(Reranker model, Path dir) {
        LoraConfig config = Adapter.readConfig(dir, HEAD_MODULES);
        attach(model, config);
        Path file = dir.resolve(Adapter.WEIGHTS);
        Safetensors st = Safetensors.open(file);
        Map<String, Parameter> params = model.parameters();
        Map<String, Shape> shapes = new LinkedHashMap<>(model.encoder().parameterShapes());
        shapes.putAll(model.head().parameterShapes());
        for (String key : st.tensors().keySet()) {
            String name = model.parameterName(key.replace(".modules_to_save.default.", ".").replace(".default.", ".")
                    .substring(key.startsWith(PREFIX) ? PREFIX.length() : 0));
            Parameter p = params.get(name);
            if (p == null || !(Lora.isLora(name) || isHead(name)))
                throw new ModelError(file + ": tensor '" + key + "' matches no adapted layer or saved head of this model");
            Shape got = new Shape(st.tensors().get(key).shape());
            if (!shapes.get(name).equals(got))
                throw new ModelError(file + ": '" + key + "' has shape " + got + " but the layer needs " + shapes.get(name));
            NDArray a = st.load(key, model.manager());
            if (p.isInitialized()) { // the base's classifier: overwritten in place by the trained one
                a.copyTo(p.getArray());
                a.close();
            } else {
                set(p, a);
            }
        }
        List<String> missing = new ArrayList<>();
        params.forEach((n, p) -> { if (Lora.isLora(n) && !p.isInitialized()) missing.add(n); });
        if (!missing.isEmpty()) throw new ModelError(file + ": no weights for " + missing.size() + " adapter matrices, e.g. " + missing.get(0));
        return config;
    }

    /**
     * Writes the adapters (and a cross-encoder's classifier) as a peft folder, with the tokenizer
     * files, so PeftModel.from_pretrained(base, dir) and CrossEncoder(dir) load it.
     */
    public static void write(Reranker model, LoraConfig config, String baseModel, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        List<String> modules = new ArrayList<>();
        model.parameters().forEach((n, p) -> {
            if (!Lora.isLora(n) && !isHead(n)) return;
            tensors.put(PREFIX + model.checkpointName(n), p.getArray());
            if (Lora.isLora(n)) {
                String path = n.substring(0, n.indexOf(".lora_"));
                String last = path.substring(path.lastIndexOf('.') + 1);
                if (!modules.contains(last)) modules.add(last);
            }
        });
        SafetensorsWriter.write(dir.resolve(Adapter.WEIGHTS), tensors, Map.of("format", "pt"));
        boolean crossEncoder = model.kind() == Reranker.Kind.CROSS_ENCODER;
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA").put("task_type", crossEncoder ? "SEQ_CLS" : "CAUSAL_LM").put("base_model_name_or_path", baseModel)
                .put("r", config.r()).put("lora_alpha", config.alpha()).put("lora_dropout", config.dropout())
                .put("use_rslora", config.rslora()).put("use_dora", false).put("bias", "none")
                .put("fan_in_fan_out", false).put("init_lora_weights", true).put("inference_mode", true);
        c.putPOJO("target_modules", modules);
        if (crossEncoder) c.putPOJO("modules_to_save", HEAD_MODULES);
        else c.putNull("modules_to_save");
        JSON.writeValue(dir.resolve(Adapter.CONFIG).toFile(), c);
        RerankerSaver.copyTokenizer(model.dir(), dir);
    }

    private static void set(Parameter p, NDArray a) {
        NDScope.unregister(a);
        p.setArray(a);
    }
}
