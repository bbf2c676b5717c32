package embtune.cli;

import embtune.train.TrainConfig;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ms-swift flags that have no setting of their own here, so that its commands run as written.
 * Each is <b>mapped</b> (a stated equivalent), <b>ignored</b> with the reason printed once, or
 * <b>refused</b> for values embtune cannot honour. Flags embtune has as settings
 * ({@link TrainConfig#flags()}) are supported and not listed here. README's flag table lists both.
 */
final class SwiftFlags {
    enum Kind { MAPPED, IGNORED, REFUSED }

    record Flag(String name, Kind kind, String reason) {}

    static final List<Flag> TRAIN = List.of(
            new Flag("torch_dtype", Kind.MAPPED, "bfloat16 -> --precision bf16 (mixed, as autocast: fp32 weights, bf16 products; "
                    + "fp32 on a CPU without bfloat16 instructions); float16 -> fp16; float32 -> fp32"),
            new Flag("bf16", Kind.MAPPED, "true -> as --torch_dtype bfloat16"),
            new Flag("fp16", Kind.MAPPED, "true -> --precision fp16"),
            new Flag("deepspeed", Kind.IGNORED, "embtune trains on one device, where DeepSpeed's ZeRO has nothing to shard across"),
            new Flag("attn_impl", Kind.IGNORED, "attention runs torch's scaled_dot_product_attention under bf16 and from 256 keys on, "
                    + "libtorch's matmul and softmax below"),
            new Flag("padding_free", Kind.IGNORED, "each batch is padded to its longest text"),
            new Flag("label_names", Kind.IGNORED, "labels always come from each row's label field"),
            new Flag("use_chat_template", Kind.IGNORED, "the embedding input format is fixed per model family (Qwen: text + <|endoftext|>)"),
            new Flag("load_from_cache_file", Kind.IGNORED, "data files are read directly; there is no preprocessing cache"),
            new Flag("dataset_num_proc", Kind.IGNORED, "data is read in one pass in the training process"),
            new Flag("dataloader_num_workers", Kind.IGNORED, "batches are tokenized in the training thread"),
            new Flag("lazy_tokenize", Kind.IGNORED, "texts are always tokenized per batch"),
            new Flag("report_to", Kind.IGNORED, "logs go to logging.jsonl, training.csv and report.html in the run folder"));

    static final List<Flag> EXPORT = List.of(
            new Flag("safe_serialization", Kind.REFUSED, "true is what embtune writes; false (pickle .bin files) is refused: "
                    + "embtune writes safetensors only"),
            new Flag("max_shard_size", Kind.IGNORED, "the merged weights are written as one model.safetensors"));

    private SwiftFlags() {}

    /** Declares the flags on a command's parser, with their disposition as help. */
    static Cli declare(Cli cli, List<Flag> flags) {
        for (Flag f : flags) {
            String help = "(ms-swift) " + f.kind().name().toLowerCase(Locale.ROOT) + ": " + f.reason();
            if (f.name().equals("bf16") || f.name().equals("fp16")) cli.flag(f.name(), help);
            else cli.option(f.name(), null, help);
        }
        return cli;
    }

    /**
     * The train config with mapped flags applied; a note per ignored or mapped flag given, and
     * one for NPROC_PER_NODE > 1. {@code gpu}: whether the run will be on a GPU.
     */
    static TrainConfig applyTrain(Cli.Args a, TrainConfig config, boolean gpu, Map<String, String> env, PrintStream notes) {
        Map<String, String> given = given(a, TRAIN);
        String dtype = given.get("torch_dtype");
        if ("true".equalsIgnoreCase(given.get("bf16"))) dtype = "bfloat16";
        if ("true".equalsIgnoreCase(given.get("fp16"))) dtype = "float16";
        if (dtype != null) {
            String precision = switch (dtype.toLowerCase(Locale.ROOT)) {
                case "bfloat16", "bf16" -> "bf16";
                case "float16", "fp16", "half" -> "fp16";
                case "float32", "fp32", "auto" -> gpu && dtype.equals("auto") ? "auto" : "fp32";
                default -> throw new Cli.UsageError("--torch_dtype " + dtype + ": choose bfloat16, float16 or float32");
            };
            if (a.given("precision") && !a.get("precision").equalsIgnoreCase(precision))
                throw new Cli.UsageError("--torch_dtype " + dtype + " and --precision " + a.get("precision") + " disagree; give one of them");
            notes.println("note: --torch_dtype " + dtype + " -> --precision " + precision);
            config = config.with("precision", precision);
        }
        for (Flag f : TRAIN)
            if (f.kind() == Kind.IGNORED && given.containsKey(f.name()))
                notes.println("note: --" + f.name() + " " + given.get(f.name()) + " is ignored: " + f.reason());
        String nproc = env.get("NPROC_PER_NODE");
        if (nproc != null && !nproc.isBlank() && !nproc.trim().equals("1"))
            notes.println("note: NPROC_PER_NODE=" + nproc.trim() + ": embtune trains on one device (" + (gpu ? "the first GPU" : "the CPU")
                    + "); the batch per step is per_device_train_batch_size x gradient_accumulation_steps, not times " + nproc.trim());
        return config;
    }

    /** export: safe_serialization must be true; max_shard_size is noted and ignored. */
    static void checkExport(Cli.Args a, PrintStream notes) {
        Map<String, String> given = given(a, EXPORT);
        String safe = given.get("safe_serialization");
        if (safe != null && !safe.equalsIgnoreCase("true"))
            throw new Cli.UsageError("--safe_serialization " + safe + " is refused: embtune writes safetensors only (pickle files can run code when loaded)");
        if (given.containsKey("max_shard_size"))
            notes.println("note: --max_shard_size " + given.get("max_shard_size") + " is ignored: " + EXPORT.get(1).reason());
    }

    private static Map<String, String> given(Cli.Args a, List<Flag> flags) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Flag f : flags) if (a.given(f.name())) out.put(f.name(), a.get(f.name()));
        return out;
    }
}
