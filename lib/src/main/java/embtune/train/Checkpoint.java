package embtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.weights.AtomicDir;
import embtune.model.Embedder;
import embtune.model.ModelSaver;
import embtune.weights.Safetensors;
import embtune.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code checkpoint-STEP/}: a loadable model folder plus what resuming needs —
 * {@code trainer_state.json} (step, epoch, best metric, log history) and
 * {@code optimizer.safetensors} (AdamW moments). Written atomically. No RNG state is stored
 * because every random choice is derived from (seed, step).
 */
public final class Checkpoint {
    public static final String STATE = "trainer_state.json";
    public static final String OPTIMIZER = "optimizer.safetensors";

    private Checkpoint() {}

    /** What a checkpoint holds besides trainer state: a full model folder, or a PEFT adapter. */
    public interface Content {
        void writeInto(Path dir) throws IOException;
    }

    public static Content fullModel(Embedder model) {
        return dir -> ModelSaver.writeInto(model, dir);
    }

    /** AdamW's moments, and an fp16 run's loss scaler (or null), go into optimizer.safetensors. */
    public static void save(Path dir, Content content, AdamW optimizer, LossScaler scaler, ObjectNode state) {
        Map<String, NDArray> tensors = new LinkedHashMap<>(optimizer.state());
        if (scaler != null) tensors.putAll(scaler.state());
        AtomicDir.write(dir, true, tmp -> {
            content.writeInto(tmp);
            SafetensorsWriter.write(tmp.resolve(OPTIMIZER), tensors, Map.of("step", String.valueOf(optimizer.steps())));
            Files.writeString(tmp.resolve(STATE), TrainConfig.JSON.writeValueAsString(state));
        });
    }

    public static JsonNode state(Path dir) {
        Path f = dir.resolve(STATE);
        if (!Files.exists(f)) throw new IllegalArgumentException(dir + " is not a checkpoint: no " + STATE);
        JsonNode state;
        try {
            state = TrainConfig.JSON.readTree(f.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(f + " is not valid JSON (cut off?): " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + " at line " + e.getLocation().getLineNr() + "; resume from another checkpoint");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
        if (state == null || !state.path("global_step").canConvertToInt() || state.path("global_step").asInt() < 0)
            throw new IllegalArgumentException(f + " has no global_step; resume from another checkpoint");
        return state;
    }

    /**
     * Restores AdamW's moments and step count, and an fp16 run's loss scale when {@code scaler} is
     * given (a checkpoint written without one leaves the scaler as it is).
     */
    public static void loadOptimizer(Path dir, AdamW optimizer, LossScaler scaler, NDManager manager) {
        Safetensors st = Safetensors.open(dir.resolve(OPTIMIZER));
        Map<String, NDArray> state = new LinkedHashMap<>();
        try (NDManager tmp = manager.newSubManager()) {
            for (String name : st.tensors().keySet()) state.put(name, st.load(name, tmp));
            optimizer.load(state, Long.parseLong(st.metadata().getOrDefault("step", "0")));
            if (scaler != null) scaler.load(state);
        }
    }
}
