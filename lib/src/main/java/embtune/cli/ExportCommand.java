package embtune.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import embtune.lora.Lora;
import embtune.model.Embedder;
import embtune.model.Weights;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code export --adapters CKPT --merge_lora true}: base + adapter -> one model folder with
 * {@code W + (alpha/r) B A}, written atomically to {@code CKPT-merged} or {@code --output_dir}.
 * Refuses to overwrite without --exist_ok, and refuses a merge that changes nothing.
 */
public final class ExportCommand {
    private ExportCommand() {}

    static Cli cli() {
        return new Cli("export", "merge a LoRA adapter into its base model (swift export --merge_lora true)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("adapters", null, "PEFT adapter folder (a LoRA checkpoint-STEP)")
                .option("model", null, "base model folder (default: the base recorded in adapter_config.json)")
                .option("merge_lora", "true", "merge the adapter into the weights (the only export so far)")
                .option("output_dir", null, "where to write (default: ADAPTERS-merged)")
                .flag("exist_ok", "replace an existing output folder (atomically)")
                .option("device", "cpu", "cpu, gpu or gpu:N");
    }

    public static void main(String[] argv) {
        cli().run(argv, ExportCommand::run);
    }

    static Path run(Cli.Args a) {
        if (!a.has("adapters")) throw new Cli.UsageError("--adapters CKPT is required");
        if (!Boolean.parseBoolean(a.get("merge_lora")))
            throw new Cli.UsageError("only --merge_lora true is supported: the adapter folder itself is the unmerged export");
        Path adapters = Path.of(a.get("adapters")).toAbsolutePath().normalize();
        Path out = a.has("output_dir") ? Path.of(a.get("output_dir")) : adapters.resolveSibling(adapters.getFileName() + "-merged");
        if (java.nio.file.Files.exists(out) && !a.bool("exist_ok"))
            throw new IllegalStateException(out + " already exists, so nothing was saved; pass --exist_ok to replace it or --output_dir elsewhere");
        try (Embedder m = ModelArgs.load(a.get("model"), adapters.toString(), Embedder.Options.defaults().device(a.get("device")))) {
            int merged = Lora.merge(m.encoder());
            int[] changed = changedTensors(m, m.dir().path());
            System.out.printf("merged %d LoRA adapters into %s: %d of %d tensors changed%n", merged, m.dir().path(), changed[0], changed[1]);
            if (changed[0] == 0)
                throw new IllegalStateException("the merged weights equal the base weights (is lora_B still zero?); nothing was saved");
            m.save(out, a.bool("exist_ok"));
            System.out.println("wrote " + out);
            return out;
        }
    }

    /** How many weight tensors of {@code merged} differ from the checkpoint in {@code baseDir}: {changed, total}. */
    static int[] changedTensors(Embedder merged, Path baseDir) {
        Weights base = Weights.open(baseDir);
        int changed = 0, total = 0;
        try (NDManager tmp = merged.manager().newSubManager()) {
            for (Map.Entry<String, ai.djl.nn.Parameter> e : merged.encoder().namedParameters().entrySet()) {
                total++;
                NDArray b = base.load(e.getKey(), tmp);
                if (!b.contentEquals(e.getValue().getArray())) changed++;
                b.close();
            }
        }
        return new int[] {changed, total};
    }
}
