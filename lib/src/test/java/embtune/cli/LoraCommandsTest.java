package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.lora.Adapter;
import embtune.model.Embedder;
import embtune.train.Run;
import embtune.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --train_type lora -> PEFT checkpoint -> resume -> export --merge_lora -> embed, as a user runs them. */
class LoraCommandsTest {
    @TempDir Path dir;

    TrainConfig config(int steps) {
        TrainConfig c = new TrainConfig();
        c = c.with("model", Fixtures.dir("tiny-qwen3").toString());
        c = c.with("train_type", "lora");
        c = c.with("lora_rank", 4);
        c = c.with("lora_alpha", 8);
        c = c.with("loss_type", "cosine_similarity");
        c = c.with("dataset", "../datasets/stsb-train.jsonl#32");
        c = c.with("per_device_train_batch_size", 8);
        c = c.with("gradient_accumulation_steps", 1);
        c = c.with("learning_rate", 1e-2);
        c = c.with("max_steps", steps);
        c = c.with("save_steps", 2);
        c = c.with("logging_steps", 1);
        c = c.with("output_dir", dir.resolve("output").toString());
        return c;
    }

    @Test

    @Tag("slow")
    void trainResumeExportEmbed() throws Exception {
        Run run = TrainCommand.run(config(4));
        Path ck2 = run.dir().resolve("checkpoint-2"), ck4 = run.lastCheckpoint();
        assertTrue(Adapter.isAdapter(ck4) && Files.exists(ck4.resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(ck4.resolve("model.safetensors")), "a LoRA checkpoint is the adapter, not the whole model");
        assertEquals(Fixtures.dir("tiny-qwen3").toAbsolutePath().normalize().toString(), Adapter.baseModel(ck4));

        TrainConfig resume = config(4);
        resume = resume.with("resume_from_checkpoint", ck2.toString());
        Run resumed = TrainCommand.run(resume);
        assertEquals(run.last("loss"), resumed.last("loss"), 1e-5, "resumed LoRA run ends on the same loss");

        Path merged = ExportCommand.run(ExportCommand.cli().parse("--adapters", ck4.toString()));
        assertEquals(ck4.resolveSibling("checkpoint-4-merged"), merged);
        String again = assertThrows(IllegalStateException.class,
                () -> ExportCommand.run(ExportCommand.cli().parse("--adapters", ck4.toString()))).getMessage();
        assertTrue(again.contains("already exists, so nothing was saved") && again.contains("--exist_ok"), again);
        assertEquals(merged, ExportCommand.run(ExportCommand.cli().parse("--adapters", ck4.toString(), "--exist_ok")));
        // an output that is, contains or lies inside the input or its run folder would destroy it with --exist_ok
        for (Path bad : List.of(run.dir(), ck4, ck4.resolve("merged"), run.dir().getParent(), ck2, run.dir().resolve("logging.jsonl"),
                Fixtures.dir("tiny-qwen3"), Fixtures.dir("tiny-qwen3").resolve("sub"))) {
            var e = assertThrows(Cli.UsageError.class, () -> ExportCommand.run(ExportCommand.cli().parse("--adapters", ck4.toString(),
                    "--output_dir", bad.toString(), "--exist_ok")), bad.toString());
            assertTrue(e.getMessage().contains("choose"), e.getMessage());
        }
        assertTrue(Files.exists(run.dir().resolve("logging.jsonl")) && Adapter.isAdapter(ck4) && Adapter.isAdapter(ck2), "run folder intact");

        List<String> texts = List.of("A man plays guitar.", "Stocks fell today.");
        try (Embedder withAdapter = ModelArgs.load(null, ck4.toString(), Embedder.Options.defaults(), null);
             Embedder full = Embedder.load(merged)) {
            assertTrue(Fixtures.maxDiff(withAdapter.embed(texts), full.embed(texts)) < 1e-5, "merged = base + adapter");
            assertArrayEquals(new int[] {14, 24}, ExportCommand.changedTensors(full, Fixtures.dir("tiny-qwen3")),
                    "the 7 adapted linears of both layers changed; norms and embeddings did not");
        }
    }

    @Test
    void exportRefusesANoOpAdapter() throws Exception {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            var c = embtune.lora.LoraConfig.defaults();
            embtune.lora.Lora.apply(m, c, 0); // B = 0: merging changes nothing
            Files.createDirectories(dir.resolve("fresh"));
            Adapter.writeInto(m, c, Fixtures.dir("tiny-qwen3").toAbsolutePath().toString(), dir.resolve("fresh"));
        }
        String msg = assertThrows(IllegalStateException.class,
                () -> ExportCommand.run(ExportCommand.cli().parse("--adapters", dir.resolve("fresh").toString()))).getMessage();
        assertTrue(msg.contains("equal the base weights"), msg);
        assertFalse(Files.exists(dir.resolve("fresh-merged")));
    }
}
