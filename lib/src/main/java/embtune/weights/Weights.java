package embtune.weights;

import embtune.ModelError;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The weights of a model folder: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json}. Names are looked up without the wrapper prefix a
 * checkpoint may carry ({@code model.} for *ForCausalLM, {@code bert.} for BertFor*), so
 * {@code layers.0.self_attn.q_proj.weight} finds {@code model.layers.0.self_attn.q_proj.weight}.
 */
public final class Weights {
    static final List<String> PREFIXES = List.of("", "model.", "bert.", "transformer.");

    private final Map<String, Safetensors> fileOf = new LinkedHashMap<>(); // stored name -> file
    private final String prefix;

    private Weights(Map<String, Safetensors> fileOf, String prefix) {
        this.fileOf.putAll(fileOf);
        this.prefix = prefix;
    }

    public static Weights open(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, Safetensors> fileOf = new LinkedHashMap<>();
        if (Files.exists(index)) {
            JsonNode map;
            try {
                map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw new ModelError(index + ": not valid JSON: " + embtune.Json.problem(e));
            }
            if (map == null || !map.isObject()) throw new ModelError(index + ": no weight_map");
            Map<String, Safetensors> shards = new LinkedHashMap<>();
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                String shard = e.getValue().asText();
                Path p = dir.resolve(shard).normalize();
                if (!p.startsWith(dir.normalize())) throw new ModelError(index + ": shard '" + shard + "' is outside the folder");
                if (!Files.exists(p)) throw new ModelError(index + " lists " + shard + ", which is missing");
                Safetensors st = shards.computeIfAbsent(shard, s -> Safetensors.open(p));
                if (!st.tensors().containsKey(e.getKey()))
                    throw new ModelError(p + ": index says it holds '" + e.getKey() + "', but it does not");
                fileOf.put(e.getKey(), st);
            }
        } else if (Files.exists(single)) {
            Safetensors st = Safetensors.open(single);
            st.tensors().keySet().forEach(k -> fileOf.put(k, st));
        } else if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw new ModelError(dir + ": has only PyTorch pickle weights (pytorch_model.bin), which embtune never unpickles "
                    + "(pickle can run code). Convert once with Python: model.save_pretrained(dir, safe_serialization=True)");
        } else {
            throw new ModelError(dir + ": no model.safetensors or model.safetensors.index.json");
        }
        return new Weights(fileOf, detectPrefix(fileOf.keySet()));
    }

    /** The wrapper prefix shared by the layer weights, if any. */
    private static String detectPrefix(Set<String> names) {
        for (String p : List.of("model.", "bert.", "transformer."))
            if (names.stream().anyMatch(n -> n.startsWith(p + "layers.") || n.startsWith(p + "encoder.") || n.startsWith(p + "embeddings.")))
                return p;
        return "";
    }

    /** Names without the wrapper prefix. */
    public Set<String> names() {
        Set<String> out = new TreeSet<>();
        for (String n : fileOf.keySet()) out.add(n.startsWith(prefix) ? n.substring(prefix.length()) : n);
        return out;
    }

    public boolean has(String name) {
        return fileOf.containsKey(prefix + name) || fileOf.containsKey(name);
    }

    public Safetensors.TensorInfo info(String name) {
        String stored = stored(name);
        return fileOf.get(stored).tensors().get(stored);
    }

    public NDArray load(String name, NDManager manager) {
        String stored = stored(name);
        return fileOf.get(stored).load(stored, manager);
    }

    private String stored(String name) {
        if (fileOf.containsKey(prefix + name)) return prefix + name;
        if (fileOf.containsKey(name)) return name;
        throw new ModelError("weights have no tensor '" + name + "'" + (prefix.isEmpty() ? "" : " (or '" + prefix + name + "')"));
    }
}
