package embtune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * What embtune writes loads unchanged in the real Python libraries with the same embeddings:
 * sentence-transformers opens a full checkpoint, a LoRA checkpoint folder and the merged export as
 * they are; peft puts the adapter on its base.
 */
@Tag("python")
class PythonInteropTest {
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Someone strums an instrument.",
            "The stock market fell sharply today.", "A dog runs across the park.");
    @TempDir Path dir;

    Run train(String trainType) {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            Trainer t = Trainer.with(m).loss("cosine_similarity").batchSize(8).maxSteps(2).learningRate(1e-2)
                    .outputDir(dir.resolve(trainType).toString()).logTo(new PrintStream(new ByteArrayOutputStream())).terminal(false);
            t.set("train_type", trainType);
            t.set("gradient_accumulation_steps", 1);
            t.set("model", Fixtures.dir("tiny-qwen3").toString());
            return t.fit(Dataset.load("../datasets/stsb-train.jsonl#16"));
        }
    }

    @Test
    void fullLoraAndMergedOutputsLoadInSentenceTransformersAndPeft() throws Exception {
        PythonRef.python();
        Path full = train("full").lastCheckpoint();
        Path lora = train("lora").lastCheckpoint();
        assertTrue(Adapter.isAdapter(lora));
        Path merged = embtune.cli.ExportCommandAccess.merge(lora, dir.resolve("merged"));

        Map<String, float[][]> ours = new LinkedHashMap<>();
        try (Embedder m = Embedder.load(full)) { ours.put(full.toString(), m.embed(TEXTS)); }
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            Adapter.load(m, lora);
            ours.put(lora.toString(), m.embed(TEXTS));
            ours.put("peft:" + lora, ours.get(lora.toString()));
        }
        try (Embedder m = Embedder.load(merged)) { ours.put(merged.toString(), m.embed(TEXTS)); }

        ObjectMapper json = new ObjectMapper();
        Path job = dir.resolve("job.json");
        json.writeValue(job.toFile(), Map.of("texts", TEXTS,
                "sentence_transformers", List.of(full.toString(), lora.toString(), merged.toString()),
                "peft", List.of(List.of(Fixtures.dir("tiny-qwen3").toAbsolutePath().toString(), lora.toString()))));
        JsonNode theirs = PythonRef.json("python/load_outputs.py", job.toString());
        for (var e : ours.entrySet()) {
            assertTrue(theirs.has(e.getKey()), "Python loaded " + e.getKey() + ": " + theirs.fieldNames());
            double diff = Fixtures.maxDiff(e.getValue(), Fixtures.matrix(theirs.get(e.getKey())));
            assertTrue(diff < 1e-5, e.getKey() + ": max difference " + diff);
        }
        // training moved the weights, so the comparison is not of the untouched base
        try (Embedder base = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            assertTrue(Fixtures.maxDiff(base.embed(TEXTS), ours.get(lora.toString())) > 1e-3);
        }
        assertTrue(Files.exists(lora.resolve("modules.json")) && Files.exists(lora.resolve("tokenizer.json")));
    }
}
