package embtune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.lora.MergeCheck;
import embtune.model.Embedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code check-merge --adapters CKPT --merged DIR}: whether a merged model folder (embtune's or
 * ms-swift's {@code swift export --merge_lora true}) gives base + adapter's vectors. The check
 * {@code export} runs after every merge, for a merge made elsewhere. Exit 1 above 1e-4.
 */
public final class CheckMergeCommand {
    private CheckMergeCommand() {}

    static Cli cli() {
        return new Cli("check-merge", "check that a merged model gives its LoRA adapter's vectors (largest difference, limit 1e-4)")
                .option("adapters", null, "the PEFT adapter folder the merge was made from (a LoRA checkpoint-STEP)")
                .option("merged", null, "the merged model folder")
                .option("model", null, "base model folder (default: the base recorded in adapter_config.json)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("device", "cpu", "cpu, gpu or gpu:N");
    }

    public static void main(String[] argv) {
        cli().run(argv, CheckMergeCommand::run);
    }

    static MergeCheck run(Cli.Args a) {
        if (!a.has("adapters") || !a.has("merged")) throw new Cli.UsageError("--adapters CKPT and --merged DIR are both required");
        Path adapters = Path.of(a.get("adapters")), merged = Path.of(a.get("merged"));
        if (!embtune.lora.Adapter.isAdapter(adapters)) throw new Cli.UsageError("--adapters " + adapters + " holds no adapter_config.json");
        if (!Files.isDirectory(merged)) throw new Cli.UsageError("--merged " + merged + " is not a folder");
        var opts = Embedder.Options.defaults().device(a.get("device"));
        MergeCheck.Texts texts = texts(adapters);
        MergeCheck check;
        try (Embedder withAdapter = ModelArgs.load(a.get("model"), adapters.toString(), opts, Cli.hub(a));
             Embedder full = Embedder.load(merged, opts)) {
            check = MergeCheck.of(withAdapter, full, texts);
        }
        System.out.println(check);
        if (!check.passed()) throw new IllegalStateException(check.failure(merged));
        return check;
    }

    /**
     * Up to 8 texts from the validation data of the run the adapter checkpoint belongs to (its
     * args.json's val_dataset), else built-in sentences of several kinds and languages; {@code source}
     * says which.
     */
    static MergeCheck.Texts texts(Path adapters) {
        Path args = adapters.toAbsolutePath().normalize().resolveSibling("args.json");
        try {
            JsonNode val = new ObjectMapper().readTree(args.toFile()).path("val_dataset");
            List<String> specs = new ArrayList<>();
            if (val.isArray()) val.forEach(v -> specs.add(v.asText()));
            else if (val.isTextual() && !val.asText().isBlank()) specs.add(val.asText());
            List<String> out = new ArrayList<>();
            for (String spec : specs)
                for (Record r : Dataset.load(spec)) {
                    if (out.size() == 8) break;
                    out.add(r.anchor());
                }
            if (!out.isEmpty()) return new MergeCheck.Texts(out, "the run's validation data " + specs);
        } catch (Exception e) {
            // no run folder, no val_dataset, or it moved: the built-in texts serve
        }
        return MergeCheck.Texts.builtIn();
    }
}
