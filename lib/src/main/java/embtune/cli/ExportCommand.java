package embtune.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import embtune.lora.Lora;
import embtune.lora.MergeCheck;
import embtune.model.Embedder;
import embtune.weights.Weights;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code export --adapters CKPT --merge_lora true}: base + adapter -> one model folder with
 * {@code W + (alpha/r) B A}, written atomically to {@code CKPT-merged} or {@code --output_dir}.
 * Refuses to overwrite without --exist_ok, and refuses a merge that changes nothing. The merged folder
 * is then loaded back and checked against base + adapter ({@link MergeCheck}): a difference above
 * 1e-4 is an error (exit 1), the folder kept for inspection.
 */
public final class ExportCommand {
    private ExportCommand() {}

    static Cli cli() {
        Cli cli = new Cli("export", "merge a LoRA adapter into its base model (swift export --merge_lora true)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("adapters", null, "PEFT adapter folder (a LoRA checkpoint-STEP)")
                .option("model", null, "base model folder (default: the base recorded in adapter_config.json)")
                .option("merge_lora", "true", "merge the adapter into the weights (the only export so far)")
                .option("output_dir", null, "where to write (default: ADAPTERS-merged)")
                .flag("exist_ok", "replace an existing output folder (atomically)")
                .option("device", "cpu", "cpu, gpu or gpu:N");
        SwiftFlags.declare(cli, SwiftFlags.EXPORT);
        return cli;
    }

    public static void main(String[] argv) {
        cli().run(argv, ExportCommand::run);
    }

    static Path run(Cli.Args a) {
        if (!a.has("adapters")) throw new Cli.UsageError("--adapters CKPT is required");
        SwiftFlags.checkExport(a, System.err);
        if (!Boolean.parseBoolean(a.get("merge_lora")))
            throw new Cli.UsageError("only --merge_lora true is supported: the adapter folder itself is the unmerged export");
        Path adapters = Path.of(a.get("adapters")).toAbsolutePath().normalize();
        Path out = a.has("output_dir") ? Path.of(a.get("output_dir")) : adapters.resolveSibling(adapters.getFileName() + "-merged");
        refuseOverlap(out, adapters, a.get("model"));
        if (java.nio.file.Files.exists(out) && !a.bool("exist_ok"))
            throw new IllegalStateException(out + " already exists, so nothing was saved; pass --exist_ok to replace it or --output_dir elsewhere");
        var opts = Embedder.Options.defaults().device(a.get("device"));
        try (Embedder m = ModelArgs.load(a.get("model"), adapters.toString(), opts, Cli.hub(a))) {
            MergeCheck.Texts texts = CheckMergeCommand.texts(adapters);
            float[][] unmerged = m.embed(texts.texts()); // base + adapter, before the merge: what the merged folder must give
            int merged = Lora.merge(m.encoder());
            int[] changed = changedTensors(m, m.dir().path());
            if (changed[0] == 0)
                throw new IllegalStateException("the merged weights equal the base weights (is lora_B still zero?); nothing was saved");
            m.save(out, a.bool("exist_ok"));
            System.out.printf("merged adapter %s into a copy of base %s -> %s (%d LoRA layers, %d of %d tensors changed; the base is unchanged)%n",
                    adapters, m.dir().path(), out.toAbsolutePath().normalize(), merged, changed[0], changed[1]);
            // the merged folder as any user will load it, from disk, against the adapter's own vectors
            MergeCheck check;
            try (Embedder written = Embedder.load(out, opts)) {
                check = MergeCheck.of(unmerged, written, texts);
            }
            System.out.println(check);
            if (!check.passed())
                throw new IllegalStateException(check.failure(out));
            return out;
        }
    }

    /**
     * The output must not be, contain or lie inside what the merge reads (the adapter, the base
     * model) nor be or contain the run folder the adapter belongs to: with --exist_ok the old
     * folder is replaced, and it would take the input with it. Inside the run folder only a new
     * folder beside the checkpoints is allowed (ms-swift's default CKPT-merged), never a checkpoint.
     */
    static void refuseOverlap(Path out, Path adapters, String model) {
        Path o = real(out);
        java.util.Map<String, Path> inputs = new java.util.LinkedHashMap<>();
        inputs.put("the adapter folder", real(adapters));
        String base = model != null ? model : embtune.lora.Adapter.baseModel(adapters);
        if (base != null && java.nio.file.Files.isDirectory(Path.of(base))) inputs.put("the base model folder", real(Path.of(base)));
        for (var e : inputs.entrySet())
            if (o.startsWith(e.getValue()) || e.getValue().startsWith(o))
                throw new Cli.UsageError("--output_dir " + out + " " + (o.equals(e.getValue()) ? "is" : o.startsWith(e.getValue()) ? "lies inside" : "contains")
                        + " " + e.getKey() + " " + e.getValue() + ", which the merge reads; choose a folder outside it");
        Path run = real(adapters).getParent();
        if (run != null && java.nio.file.Files.exists(run.resolve("logging.jsonl"))) {
            if (run.startsWith(o))
                throw new Cli.UsageError("--output_dir " + out + (o.equals(run) ? " is" : " contains") + " the run folder " + run
                        + " (checkpoints, logs, report); choose a folder outside it");
            if (o.startsWith(run) && !(o.getParent().equals(run) && !o.getFileName().toString().matches("checkpoint-\\d+|logging\\.jsonl|args\\.json|report\\.html|.*\\.(csv|png)")))
                throw new Cli.UsageError("--output_dir " + out + " would replace part of the run folder " + run + "; choose another name");
        }
    }

    /** Absolute, with links resolved as far as the path exists (so two spellings of a folder compare equal). */
    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !java.nio.file.Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        try {
            return existing.toRealPath().resolve(existing.relativize(abs));
        } catch (java.io.IOException e) {
            return abs;
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
