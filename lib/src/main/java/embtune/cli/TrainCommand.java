package embtune.cli;

import embtune.data.Bundled;
import embtune.data.Dataset;
import embtune.data.LoadOptions;
import embtune.loss.LossType;
import embtune.model.Embedder;
import embtune.lora.Adapter;
import embtune.train.Run;
import embtune.train.TrainConfig;
import embtune.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code train --loss infonce}: fine-tune with swift-sft-style flags; every flag has a default. */
public final class TrainCommand {
    private TrainCommand() {}

    static Cli cli() {
        return SwiftFlags.declare(ConfigFlags.declare(new Cli("train", "fine-tune an embedding model (flags as in swift sft, snake- or kebab-case)")), SwiftFlags.TRAIN)
                .alias("loss", "loss_type").alias("epochs", "num_train_epochs").alias("lr", "learning_rate")
                .alias("batch_size", "per_device_train_batch_size").alias("tuner_type", "train_type")
                .alias("output", "output_dir");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> {
            TrainConfig config = config(a, System.getenv(), System.err);
            restartWithLibtorchEnvironment(config.precision(), config.device(), argv);
            run(config);
        });
    }

    /** The settings the flags (embtune's and ms-swift's) and the environment give, validated. */
    static TrainConfig config(Cli.Args a, java.util.Map<String, String> env, java.io.PrintStream notes) {
        TrainConfig config = ConfigFlags.apply(a, new TrainConfig());
        config = SwiftFlags.applyTrain(a, config, onGpu(config.device()), env, notes);
        if (config.reranker()) {
            if (!a.given("dataset")) throw new Cli.UsageError("--task_type " + config.taskType() + " needs --dataset: rows with query, response "
                    + "(the positive) and rejected_response (negatives), as ms-swift's reranker data");
            if (!a.given("model")) throw new Cli.UsageError("--task_type " + config.taskType() + " needs --model: a cross-encoder or Qwen3-Reranker folder");
        } else if (!a.given("dataset")) config = bundledRun(a, config, notes);
        if (a.given("train_type")) config.requireCheckpointTrainType(); // before any data or model is read
        return config.validate();
    }

    /**
     * Without --dataset, a first run on bundled STS-B that shows in about a minute on 2 cores
     * whether training helped: held-out STS-B dev data evaluated before the first step and at the
     * end, 40 steps at 1e-4 with 10% warmup. Every flag the user gives wins.
     */
    static TrainConfig bundledRun(Cli.Args a, TrainConfig config, java.io.PrintStream notes) {
        String loss = config.lossType().replace('-', '_');
        String val = switch (loss) {
            case "infonce" -> "stsb-infonce-dev.jsonl";
            case "auto", "cosine_similarity" -> "stsb-dev.jsonl";
            default -> null; // no 0/1 dev sample is bundled
        };
        if (val != null && !a.given("val_dataset") && !a.given("split_dataset_ratio"))
            config = config.with("val_dataset", Bundled.find(val).toString());
        if (!a.given("eval_on_start")) config = config.with("eval_on_start", true);
        if (!a.given("max_steps") && !a.given("num_train_epochs")) config = config.with("max_steps", 40);
        if (!a.given("learning_rate")) config = config.with("learning_rate", 1e-4);
        if (!a.given("warmup_ratio") && !a.given("warmup_steps")) config = config.with("warmup_ratio", 0.1);
        if (!a.given("logging_steps")) config = config.with("logging_steps", 2);
        notes.println("bundled run: STS-B samples, " + config.get("max_steps") + " steps at learning rate " + config.get("learning_rate")
                + (val == null ? "" : ", held-out " + val + " evaluated before and after") + " (--dataset for your own data)");
        return config;
    }

    static Run run(TrainConfig config) {
        if (config.reranker()) {
            trainReranker(config);
            return null;
        }
        LoadOptions opts = config.loadOptions();
        List<String> specs = config.dataset();
        if (specs.isEmpty()) { // the bundled sample that fits the loss
            LossType wanted = config.lossType().equals("auto") ? null : LossType.parse(config.lossType());
            specs = List.of(Bundled.forLoss(wanted));
        }
        Dataset train = load(specs, opts);
        Dataset val = config.valDataset().isEmpty() ? null : load(config.valDataset(), opts);
        var mopts = Embedder.Options.defaults().device(config.device()).maxLength(config.maxLength());
        try (Embedder model = ModelArgs.load(config.model(), config.resumeFromCheckpoint(), mopts, opts.hub())) {
            model.family().requireSwiftModelType(config.modelType(), model.dir().path().toString());
            TrainConfig used = config.with("dataset", specs);
            String resume = config.resumeFromCheckpoint();
            if (Adapter.isAdapter(model.dir().path()) || resume != null && Adapter.isAdapter(Path.of(resume)))
                used = used.with("train_type", "lora");
            Run run = new Trainer(used, model).logTo(System.out).stopOnInterrupt().fit(train, val);
            System.out.println(run);
            return run;
        }
    }

    /** --task_type reranker | generative_reranker: the model must be that kind of reranker. */
    static embtune.train.RerankerTraining.Result trainReranker(TrainConfig config) {
        LoadOptions opts = config.loadOptions();
        Dataset train = load(config.dataset(), opts);
        Dataset val = config.valDataset().isEmpty() ? null : load(config.valDataset(), opts);
        var ropts = embtune.rerank.Reranker.Options.defaults().device(config.device()).maxLength(config.maxLength());
        try (embtune.rerank.Reranker model = RerankCommand.load(config.model(), ropts, opts.hub())) {
            boolean generative = config.taskType().equalsIgnoreCase("generative_reranker");
            if (generative != (model.kind() == embtune.rerank.Reranker.Kind.GENERATIVE))
                throw new Cli.UsageError("--task_type " + config.taskType() + " but " + config.model() + " is a "
                        + (generative ? "cross-encoder (use --task_type reranker)" : "generative reranker (use --task_type generative_reranker)"));
            var result = embtune.train.RerankerTraining.fit(model, config, train, val, System.out);
            System.out.println(result);
            return result;
        }
    }

    /**
     * libtorch reads two settings from the process environment once, before its first use, so
     * when they disagree with the run this command starts itself again with them fixed (once):
     * the precision's (TF32, the GPU default, needs TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 and exact
     * fp32 needs it unset) and huge pages (on Linux THP_MEM_ALLOC_ENABLE=1 lets libtorch back its
     * large CPU buffers with huge pages instead of faulting fresh activations in 4 KiB at a time;
     * bench/README.md has the figures). {@code THP_MEM_ALLOC_ENABLE=0} in the environment keeps it off.
     */
    static void restartWithLibtorchEnvironment(String precision, String device, String[] argv) {
        // decided without starting the engine: the waiting parent must not hold a CUDA context
        var d = onGpu(device) ? ai.djl.Device.gpu() : ai.djl.Device.cpu();
        var fix = new java.util.HashMap<>(embtune.engine.Precision.parse(precision, d).environmentFix(d));
        fix.putAll(hugePagesFix(System.getenv()));
        if (fix.isEmpty() || Relaunch.isChild()) return;
        System.err.println("embtune: restarting with " + fix + " (libtorch reads these once, at start)");
        Relaunch.withEnvironment(fix, TrainCommand.class, argv);
    }

    /** THP_MEM_ALLOC_ENABLE=1 on Linux unless the environment already says something about it. */
    static java.util.Map<String, String> hugePagesFix(java.util.Map<String, String> env) {
        boolean linux = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
        return linux && !env.containsKey("THP_MEM_ALLOC_ENABLE") ? java.util.Map.of("THP_MEM_ALLOC_ENABLE", "1") : java.util.Map.of();
    }

    /** Whether --device (auto: a GPU when a driver is present) means a GPU, decided without starting the engine. */
    static boolean onGpu(String device) {
        String dev = device == null ? "auto" : device.toLowerCase(java.util.Locale.ROOT);
        return dev.startsWith("gpu") || dev.startsWith("cuda") || (dev.equals("auto") && embtune.engine.NativeLibrary.gpuPresent());
    }

    private static Dataset load(List<String> specs, LoadOptions opts) {
        List<Dataset> parts = new ArrayList<>();
        for (String s : specs) {
            Dataset d = Dataset.load(s, opts);
            String report = d.loadReport().toString();
            if (!report.isEmpty()) System.out.println(d.name() + ": " + report);
            parts.add(d);
        }
        return Dataset.concat(parts);
    }
}
