package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.lora.Adapter;
import embtune.model.Embedder;
import embtune.train.Run;
import embtune.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding tutorial's commands, verbatim but for the model path and the data set (the local
 * STS-B train file with the same :positive subset): full fine-tuning, LoRA, and the LoRA merge.
 */
class TutorialCommandsTest {
    @TempDir Path dir;

    /** swift sft ... of the tutorial, with `swift sft` replaced by `train`. */
    static String[] tutorial(Path output, String... extra) {
        List<String> argv = new ArrayList<>(List.of(("--model " + Fixtures.dir("tiny-qwen3") + " --task_type embedding --model_type qwen3_emb"
                + " --train_type full --dataset ../datasets/stsb-train.jsonl:positive --split_dataset_ratio 0.05 --eval_strategy steps"
                + " --output_dir " + output + " --eval_steps 200 --num_train_epochs 5 --save_steps 200"
                + " --per_device_train_batch_size 8 --per_device_eval_batch_size 4 --gradient_accumulation_steps 2"
                + " --learning_rate 6e-6 --loss_type cosine_similarity --label_names labels --dataloader_drop_last true").split(" ")));
        argv.addAll(Arrays.asList(extra));
        return argv.toArray(String[]::new);
    }

    record Outcome(Run run, String notes) {}

    static Outcome train(String[] argv, Map<String, String> env) {
        var notes = new ByteArrayOutputStream();
        TrainConfig config = TrainCommand.config(TrainCommand.cli().parse(argv), env, new PrintStream(notes, true, StandardCharsets.UTF_8));
        return new Outcome(TrainCommand.run(config), notes.toString(StandardCharsets.UTF_8));
    }

    static List<Integer> evalSteps(Path run) throws Exception {
        List<Integer> steps = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) {
            JsonNode e = new ObjectMapper().readTree(line);
            if (e.has("eval_loss")) steps.add(e.get("step").asInt());
        }
        return steps;
    }

    static List<String> checkpoints(Path run) throws Exception {
        try (var l = Files.list(run)) {
            return l.map(p -> p.getFileName().toString()).filter(n -> n.matches("checkpoint-\\d+")).sorted().toList();
        }
    }

    @Test

    @Tag("slow")
    void fullLoraAndExportRunAsTheTutorialWritesThem() throws Exception {
        // full fine-tuning: 1,762 pairs scored >= 0.75, 5% held out, 8 x 2 per step, drop_last: 104 steps an epoch, 520 in 5
        Outcome full = train(tutorial(dir.resolve("output")), Map.of("NPROC_PER_NODE", "8"));
        Path run = full.run().dir();
        assertEquals(List.of("checkpoint-200", "checkpoint-400", "checkpoint-520"), checkpoints(run));
        assertEquals(List.of(200, 400, 520), evalSteps(run));
        TrainConfig args = TrainConfig.fromJson(Files.readString(run.resolve("args.json")));
        assertEquals("qwen3_emb", args.get("model_type"));
        assertEquals(6e-6, args.get("learning_rate"));
        assertTrue(full.notes().contains("--label_names labels is ignored"), full.notes());
        assertTrue(full.notes().contains("NPROC_PER_NODE=8: embtune trains on one device"), full.notes());
        assertEquals(1, full.notes().split("label_names", -1).length - 1, "each note once");

        // LoRA: the same plus the tutorial's LoRA flags
        Outcome lora = train(tutorial(dir.resolve("output"), "--train_type", "lora", "--lora_rank", "16", "--lora_alpha", "32",
                "--lora_dropout", "0.1"), Map.of());
        Path ckpt = lora.run().dir().resolve("checkpoint-520");
        assertTrue(Adapter.isAdapter(ckpt), "LoRA checkpoints are PEFT adapters");
        assertEquals(16, new ObjectMapper().readTree(ckpt.resolve("adapter_config.json").toFile()).get("r").asInt());

        // swift export --adapters .../checkpoint-520 --merge_lora true --output_dir <dir> --safe_serialization true --exist_ok true
        Path merged = dir.resolve("merged");
        ExportCommand.run(ExportCommand.cli().parse("--adapters", ckpt.toString(), "--merge_lora", "true", "--output_dir", merged.toString(),
                "--safe_serialization", "true", "--exist_ok", "true"));
        List<String> texts = List.of("A man is playing a flute.", "A man plays the flute.");
        try (Embedder m = Embedder.load(merged); Embedder withAdapter = ModelArgs.load(null, ckpt.toString(), Embedder.Options.defaults(), null)) {
            assertTrue(embtune.Fixtures.maxDiff(m.embed(texts), withAdapter.embed(texts)) < 1e-5, "the merged folder embeds as base + adapter");
        }
        assertTrue(Files.exists(merged.resolve("model.safetensors")) && Files.exists(merged.resolve("modules.json")));
    }

    @Test
    void msSwiftFlagsAreMappedIgnoredOrRefused() {
        String[] base = {"--model", Fixtures.dir("tiny-bert").toString()};
        var notes = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(notes, true, StandardCharsets.UTF_8);
        TrainConfig c = TrainCommand.config(TrainCommand.cli().parse("--torch_dtype", "bfloat16", "--deepspeed", "zero3", "--attn_impl",
                "flash_attn", "--dataset_num_proc", "4", "--device", "cpu"), Map.of(), p);
        assertEquals("bf16", c.precision(), "bfloat16: mixed bf16 (the plan falls back to fp32 on a CPU without bf16 instructions)");
        String text = notes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--torch_dtype bfloat16 -> --precision bf16"), text);
        assertTrue(text.contains("--deepspeed zero3 is ignored") && text.contains("--attn_impl flash_attn is ignored")
                && text.contains("--dataset_num_proc 4 is ignored"), text);
        assertEquals("fp16", TrainCommand.config(TrainCommand.cli().parse("--fp16", "true"), Map.of(), p).precision());

        assertThrows(embtune.train.ConfigError.class, () -> TrainCommand.config(TrainCommand.cli().parse("--task_type", "causal_lm"), Map.of(), p));
        var reranker = assertThrows(Cli.UsageError.class, () -> TrainCommand.config(TrainCommand.cli().parse("--task_type", "reranker"), Map.of(), p));
        assertTrue(reranker.getMessage().contains("needs --dataset"), reranker.getMessage());
        var wrongType = assertThrows(embtune.ModelError.class, () -> TrainCommand.run(TrainCommand.config(TrainCommand.cli().parse(
                base[0], base[1], "--model_type", "qwen3_emb", "--max_steps", "1", "--output_dir", dir.toString()), Map.of(), p)));
        assertTrue(wrongType.getMessage().contains("qwen3_emb is a qwen3 model") && wrongType.getMessage().contains("is a bert model"),
                wrongType.getMessage());
        assertThrows(Cli.UsageError.class, () -> ExportCommand.run(ExportCommand.cli().parse("--adapters", "x", "--safe_serialization", "false")));
        assertThrows(Cli.UsageError.class, () -> TrainCommand.cli().parse("--no_such_flag", "1"), "unknown flags stay errors");
    }

    @Test
    void theReadmeTableNamesEveryMsSwiftFlag() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String table = readme.substring(readme.indexOf("## ms-swift commands as written"), readme.indexOf("## Hub ids"));
        List<SwiftFlags.Flag> all = new ArrayList<>(SwiftFlags.TRAIN);
        all.addAll(SwiftFlags.EXPORT);
        for (SwiftFlags.Flag f : all) assertTrue(table.contains("`--" + f.name()), "README names --" + f.name());
        for (String arg : tutorial(Path.of("out")))
            if (arg.startsWith("--")) assertTrue(table.contains("`" + arg), "README names " + arg);
    }
}
