package embtune.vision;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.PythonRef;
import embtune.data.Dataset;
import embtune.lora.Adapter;
import embtune.model.Embedder;
import embtune.train.Run;
import embtune.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GME checkpoints embtune writes (full, with the vision tower trained; LoRA; merged) load in
 * transformers as Qwen2VLForConditionalGeneration (and peft) and give the same embeddings for
 * text, image and image+text items.
 */
@Tag("python")
class GmeInteropTest {
    @TempDir Path dir;

    Run train(String trainType, Path data) {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-gme"))) {
            Trainer t = Trainer.with(m).loss("infonce").batchSize(3).maxSteps(2).learningRate(1e-2)
                    .outputDir(dir.resolve(trainType).toString()).logTo(new PrintStream(new ByteArrayOutputStream())).terminal(false);
            t.set("train_type", trainType);
            t.set("gradient_accumulation_steps", 1);
            t.set("model", Fixtures.dir("tiny-gme").toString());
            if (trainType.equals("full")) {
                t.set("freeze_vit", false);
                t.set("freeze_aligner", false);
            }
            return t.fit(Dataset.load(data.toString()));
        }
    }

    @Test
    void checkpointsLoadInTransformersWithTheSameEmbeddings() throws Exception {
        PythonRef.python();
        Path images = Fixtures.dir("tiny-gme").toAbsolutePath();
        Path data = dir.resolve("pairs.jsonl");
        Files.writeString(data, String.join("\n",
                "{\"query\": \"a gradient in red\", \"response\": \"<image>\", \"images\": [\"" + images.resolve("plain.png") + "\"]}",
                "{\"query\": \"<image>\", \"response\": \"a small picture\", \"images\": [\"" + images.resolve("small.png") + "\"]}",
                "{\"query\": \"<image>a square\", \"response\": \"four equal sides\", \"images\": [\"" + images.resolve("square.png") + "\"]}",
                "{\"query\": \"a wide one\", \"response\": \"<image>wide\", \"images\": [\"" + images.resolve("wide.png") + "\"]}") + "\n");
        Path full = train("full", data).lastCheckpoint();
        Path lora = train("lora", data).lastCheckpoint();
        assertTrue(Adapter.isAdapter(lora));
        Path merged = embtune.cli.ExportCommandAccess.merge(lora, dir.resolve("merged"));

        List<Map<String, String>> items = List.of(Map.of("text", "A man is playing a guitar."), Map.of("image", images.resolve("plain.png").toString()),
                Map.of("image", images.resolve("wide.png").toString(), "text", "a wide picture"));
        List<String> strings = items.stream().map(i -> i.containsKey("image")
                ? ImageText.of(ImageText.TAG + i.getOrDefault("text", ""), List.of(Path.of(i.get("image")))) : i.get("text")).toList();
        Map<String, float[][]> ours = new LinkedHashMap<>();
        try (Embedder m = Embedder.load(full)) { ours.put(full.toString(), m.embed(strings)); }
        try (Embedder m = Embedder.load(merged)) { ours.put(merged.toString(), m.embed(strings)); }
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-gme"))) {
            float[][] base = m.embed(strings);
            Adapter.load(m, lora);
            ours.put("peft:" + lora, m.embed(strings));
            assertTrue(Fixtures.maxDiff(base, ours.get("peft:" + lora)) > 1e-3, "training moved the weights");
        }

        Path job = dir.resolve("job.json");
        // the recipe code lives with the committed fixtures, whichever set the numbers come from
        Path recipe = Path.of("src", "test", "resources", "fixtures").toAbsolutePath();
        new ObjectMapper().writeValue(job.toFile(), Map.of("items", items, "fixtures", recipe.toString(),
                "models", List.of(full.toString(), merged.toString()),
                "peft", List.of(List.of(Fixtures.dir("tiny-gme").toAbsolutePath().toString(), lora.toString()))));
        JsonNode theirs = PythonRef.json("python/load_gme.py", job.toString());
        for (var e : ours.entrySet()) {
            assertTrue(theirs.has(e.getKey()), "Python loaded " + e.getKey() + ": " + theirs.fieldNames());
            double diff = Fixtures.maxDiff(e.getValue(), Fixtures.matrix(theirs.get(e.getKey())));
            assertTrue(diff < 1e-5, e.getKey() + ": max difference " + diff);
        }
        assertTrue(Files.exists(full.resolve("preprocessor_config.json")) && !Files.exists(full.resolve("modules.json")));
    }
}
