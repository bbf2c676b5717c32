package embtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.loss.EmbeddingLoss;
import embtune.loss.InfoNceOptions;
import embtune.loss.LossType;
import embtune.loss.Losses;
import embtune.lora.Adapter;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.model.Embedder;
import embtune.model.Precision;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The training loop, top to bottom:
 * <pre>
 * for step in start..total:
 *     lr = schedule(step)
 *     loss, grad_norm = train_step(batches_for(step), lr)   # forward, backward, clip, AdamW
 *     every logging_steps: read loss (the only device sync), log, progress
 *     every eval_steps:    eval_loss (+ metrics) on the validation set
 *     every save_steps:    checkpoint (model + optimizer + state), atomically
 * </pre>
 * Data order and every random draw derive from (seed, step), so a resumed run continues with
 * exactly the loss curve an uninterrupted run has.
 *
 * <pre>
 * var run = Trainer.with(model).loss("infonce").epochs(1).fit(data);
 * </pre>
 */
public final class Trainer {
    private final TrainConfig config;
    private final Embedder model;
    private PrintStream out = System.out;
    private Boolean terminal;
    private EmbeddingLoss customLoss;
    private java.util.function.Consumer<Map<String, Object>> onLog = e -> {};
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);

    public Trainer(TrainConfig config, Embedder model) {
        this.config = config;
        this.model = model;
    }

    public static Trainer with(Embedder model) {
        return new Trainer(new TrainConfig(), model);
    }

    // ---- fluent settings for notebooks and JShell ---------------------------------------------
    public Trainer loss(String lossType) { config.lossType = lossType; return this; }
    public Trainer loss(LossType t) { config.lossType = t.id(); return this; }
    public Trainer epochs(double n) { config.numTrainEpochs = n; return this; }
    public Trainer maxSteps(int n) { config.maxSteps = n; return this; }
    public Trainer batchSize(int n) { config.perDeviceTrainBatchSize = n; return this; }
    public Trainer learningRate(double lr) { config.learningRate = lr; return this; }
    public Trainer outputDir(String dir) { config.outputDir = dir; return this; }
    public Trainer logTo(PrintStream p) { out = p; return this; }
    /** Train with your own loss over embeddings; the data layout follows its {@code wantsPairs()}. */
    public Trainer loss(EmbeddingLoss custom) { customLoss = custom; return this; }
    /** Called with every logged event (training and eval), e.g. to plot live in a notebook. */
    public Trainer onLog(java.util.function.Consumer<Map<String, Object>> listener) { onLog = listener; return this; }
    public Trainer terminal(boolean t) { terminal = t; return this; }
    public TrainConfig config() { return config; }

    /** Ctrl-C: finish the current step, save a checkpoint, then let the JVM exit. */
    public Trainer stopOnInterrupt() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested = true;
            try {
                finished.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "embtune-interrupt"));
        return this;
    }

    public void requestStop() {
        stopRequested = true;
    }

    public Run fit(Dataset train) {
        return fit(train, null);
    }

    public Run fit(Dataset train, Dataset val) {
        try {
            return loop(train, val);
        } finally {
            finished.countDown();
        }
    }

    private Run loop(Dataset train, Dataset val) {
        config.validate();
        // ---- what to learn, from what ---------------------------------------------------------
        LossType lossType = customLoss == null ? chooseLoss(train) : null;
        if (val == null && config.splitDatasetRatio > 0) {
            Dataset.Split s = train.split(config.splitDatasetRatio, config.dataSeed);
            train = s.train();
            val = s.val();
        }
        Random random = new Random(config.seed);
        InfoNceOptions nce = infonceOptions(); // read once: the environment does not change during a run
        MrlSpec mrl = MrlSpec.parse(config.mrlDims);
        EmbeddingLoss loss = customLoss != null ? customLoss
                : Losses.create(lossType, config.margin, nce, mrl.dims(), mrl.weights(), random);
        Map<String, Parameter> trainable;
        Checkpoint.Content content;
        if (config.lora()) {
            LoraConfig lc = config.loraConfig();
            if (Lora.parameters(model.encoder()).isEmpty()) Lora.apply(model, lc, config.seed); // resumed runs arrive adapted
            trainable = Lora.parameters(model.encoder());
            String base = (config.model != null ? Path.of(config.model) : model.dir().path()).toAbsolutePath().normalize().toString();
            content = dir -> Adapter.writeInto(model, lc, base, dir);
            out.println(lc + "\n  " + Lora.trainableSummary(model.encoder()));
        } else {
            trainable = model.encoder().namedParameters();
            content = Checkpoint.fullModel(model);
        }
        AdamW adam = new AdamW(trainable, model.manager(), config.adamBeta1, config.adamBeta2, config.adamEpsilon, config.weightDecay);

        // ---- how long -------------------------------------------------------------------------
        int bs = config.perDeviceTrainBatchSize, accum = config.accumulation();
        Batches batches = new Batches(train, bs, accum, config.dataloaderDropLast, config.dataSeed);
        int total = config.maxSteps > 0 ? config.maxSteps : (int) Math.ceil(config.numTrainEpochs * batches.stepsPerEpoch());
        int warmup = config.warmupSteps > 0 ? config.warmupSteps : (int) Math.ceil(config.warmupRatio * total);
        LrSchedule schedule = new LrSchedule(config.lrSchedulerType, config.learningRate(), warmup, total);

        // ---- where it goes --------------------------------------------------------------------
        int start = 0;
        RunFolder folder;
        List<Map<String, Object>> history = new ArrayList<>();
        Double best = null;
        Path bestCkpt = null;
        if (config.resumeFromCheckpoint != null) {
            Path ckpt = Path.of(config.resumeFromCheckpoint).toAbsolutePath();
            JsonNode state = Checkpoint.state(ckpt);
            start = state.get("global_step").asInt();
            state.path("log_history").forEach(e -> history.add(TrainConfig.JSON.convertValue(e, Map.class)));
            if (state.hasNonNull("best_metric")) best = state.get("best_metric").asDouble();
            if (state.hasNonNull("best_model_checkpoint")) bestCkpt = Path.of(state.get("best_model_checkpoint").asText());
            folder = RunFolder.reopen(ckpt.getParent(), start);
        } else {
            folder = RunFolder.create(Path.of(config.outputDir));
        }
        folder.writeArgs(config);
        Precision precision = Precision.parse(config.precision, model.device());
        String envProblem = precision.environmentProblem(model.device());
        if (envProblem != null) out.println("warning: " + envProblem);
        TrainStep.Settings settings = TrainStep.Settings.of(config.maxGradNorm).miniBatchSize(config.miniBatchSize)
                .gradientCheckpointing(config.gradientCheckpointing).precision(precision);
        boolean isTerminal = terminal != null ? terminal : System.console() != null;
        Progress progress = new Progress(out, isTerminal, total, start);
        out.printf("embtune: %s%n  data %s (%,d rows) -> %,d steps of %d x %d, loss %s%n  precision %s%s%n  run folder %s%n",
                model, train.name(), train.size(), total, bs, accum, loss, precision.effective(model.device()),
                config.gradientCheckpointing ? ", gradient checkpointing" : "", folder.dir());

        // ---- the loop -------------------------------------------------------------------------
        Path last = null;
        boolean interrupted = false;
        double pendingLoss = Double.NaN;
        try (TrainStep trainStep = new TrainStep(model, loss, trainable, adam, settings)) {
            LossScaler scaler = trainStep.scaler();
            if (config.resumeFromCheckpoint != null)
                Checkpoint.loadOptimizer(Path.of(config.resumeFromCheckpoint).toAbsolutePath(), adam, scaler, model.manager());
            NDManager window = model.manager().newSubManager();
            List<NDArray> losses = new ArrayList<>();
            NDArray gradNorm = null;
            for (int step = start; step < total; step++) {
                if (stopRequested) {
                    interrupted = true;
                    break;
                }
                random.setSeed(config.seed * 1_000_003L + step);
                Engine.getInstance().setRandomSeed((int) (config.seed + step));
                double lr = schedule.at(step);
                TrainStep.Result r = trainStep.run(batches.forStep(step, loss.wantsPairs()), lr, window);
                losses.add(r.loss());
                gradNorm = r.gradNorm();
                int done = step + 1;
                boolean lastStep = done == total;
                if (done % config.loggingSteps == 0 || lastStep || done % config.saveSteps == 0) {
                    double mean = 0;
                    int counted = 0;
                    for (NDArray l : losses) {
                        float v = l.getFloat();
                        if (scaler != null && !Float.isFinite(v)) continue; // fp16: an overflowed step was skipped, not learned from
                        mean += v;
                        counted++;
                    }
                    mean = counted == 0 ? Double.NaN : mean / counted;
                    double norm = gradNorm.getFloat();
                    window.close();
                    window = model.manager().newSubManager();
                    losses.clear();
                    if (scaler != null) {
                        float scale = scaler.currentScale();
                        if (scale < 1e-4f)
                            throw new TrainingError("fp16: gradients overflow even at loss scale " + scale + " (step " + done
                                    + "), so the forward pass itself overflows float16; use --precision tf32 or fp32. The last good checkpoint is "
                                    + (last == null ? "none" : last) + " and was left as it was");
                    } else if (!Double.isFinite(mean) || !Double.isFinite(norm))
                        throw new TrainingError("loss is " + mean + " (grad norm " + norm + ") at step " + done + "; stopped. The last good checkpoint is "
                                + (last == null ? "none (lower the learning rate?)" : last) + " and was left as it was");
                    pendingLoss = mean;
                    Map<String, Object> e = event(done, batches.epochAt(done));
                    e.put("loss", mean);
                    e.put("grad_norm", Double.isFinite(norm) ? norm : null); // null: an fp16 step skipped on overflow
                    e.put("learning_rate", lr);
                    if (scaler != null) {
                        e.put("loss_scale", (double) scaler.currentScale());
                        e.put("skipped_steps", scaler.skipped());
                    }
                    e.put("it_per_s", progress.itPerSec(done));
                    e.put("elapsed_s", progress.elapsed());
                    history.add(e);
                    folder.log(e);
                    progress.update(done, mean, lr);
                    onLog.accept(e);
                }
                if (val != null && !config.evalStrategy.equals("no") && (done % config.evalEvery() == 0 || lastStep)) {
                    Map<String, Object> e = event(done, batches.epochAt(done));
                    e.putAll(evaluate(val, loss));
                    if (customLoss == null)
                        embtune.eval.Evaluator.evaluate(model::embed, val, lossType == LossType.INFONCE, nce)
                                .forEach((k, v) -> e.put("eval_" + k, v));
                    history.add(e);
                    folder.log(e);
                    progress.line(format(e));
                    onLog.accept(e);
                    double metric = ((Number) e.get("eval_loss")).doubleValue();
                    if (best == null || metric < best) {
                        best = metric;
                        bestCkpt = folder.checkpoint(done);
                    }
                }
                if (done % config.saveSteps == 0 || lastStep) {
                    last = save(folder, content, done, adam, scaler, history, best, bestCkpt, batches);
                }
            }
            window.close();
            if (interrupted && start < total) {
                int done = (int) adam.steps();
                if (done > 0 && (last == null || RunFolder.stepOf(last) != done)) {
                    last = save(folder, content, done, adam, scaler, history, best, bestCkpt, batches);
                    progress.line("interrupted: saved " + last + "; continue with --resume_from_checkpoint " + last);
                }
            }
        } finally {
            folder.close();
        }
        Path report = embtune.report.Report.write(folder.dir(), val != null && loss.wantsPairs() ? similarities(val) : null);
        if (!Double.isNaN(pendingLoss)) out.printf("done: loss %.4f, checkpoint %s%n  report %s%n", pendingLoss, last, report);
        return new Run(folder.dir(), history, model, last, bestCkpt, interrupted);
    }

    /** Gold labels and predicted cosines of the validation pairs, for the report's scatter plot. */
    private double[][] similarities(Dataset val) {
        List<String> texts = new ArrayList<>();
        double[] gold = new double[val.size()], cos = new double[val.size()];
        for (int i = 0; i < val.size(); i++) {
            texts.add(val.get(i).anchor());
            texts.add(val.get(i).positive());
            gold[i] = val.get(i).labelOrOne();
        }
        float[][] e = model.embed(texts);
        for (int i = 0; i < gold.length; i++) cos[i] = Embedder.cosine(e[2 * i], e[2 * i + 1]);
        return new double[][] {gold, cos};
    }

    private LossType chooseLoss(Dataset train) {
        if (config.lossType == null || config.lossType.equals("auto")) {
            var choice = train.recommendedLoss();
            out.println("loss auto -> " + choice);
            config.lossType = choice.loss().id();
            return choice.loss();
        }
        LossType t = LossType.parse(config.lossType);
        train.requireFits(t);
        return t;
    }

    InfoNceOptions infonceOptions() {
        InfoNceOptions o = InfoNceOptions.fromEnvironment();
        if (config.infonceTemperature != null) o = o.temperature(config.infonceTemperature);
        if (config.infonceUseBatch != null) o = o.useBatch(config.infonceUseBatch);
        if (config.infonceHardNegatives != null) o = o.hardNegatives(config.infonceHardNegatives);
        if (config.infonceMaskFakeNegative != null) o = o.maskFakeNegative(config.infonceMaskFakeNegative);
        if (config.infonceFakeNegMargin != null) o = o.fakeNegMargin(config.infonceFakeNegMargin);
        if (config.infonceIncludeQq != null) o = o.includeQQ(config.infonceIncludeQq);
        if (config.infonceIncludeDd != null) o = o.includeDD(config.infonceIncludeDd);
        return o;
    }

    /** eval_loss over the validation set, batch by batch without gradients, weighted by batch size. */
    public Map<String, Object> evaluate(Dataset val, EmbeddingLoss loss) {
        double sum = 0;
        int n = 0;
        int bs = config.perDeviceEvalBatchSize;
        for (int i = 0; i < val.size(); i += bs) {
            List<Record> rec = val.records().subList(i, Math.min(val.size(), i + bs));
            StepBatch b = StepBatch.of(rec, loss.wantsPairs());
            try (NDScope scope = new NDScope(); NDManager step = model.manager().newSubManager()) {
                scope.suppressNotUsedWarning();
                sum += loss.compute(model.forward(model.encode(b.texts()), step), b.layout()).getFloat() * rec.size();
                n += rec.size();
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("eval_loss", sum / n);
        return m;
    }

    private Path save(RunFolder folder, Checkpoint.Content content, int step, AdamW adam, LossScaler scaler,
                      List<Map<String, Object>> history, Double best, Path bestCkpt,
                      Batches batches) {
        ObjectNode state = TrainConfig.JSON.createObjectNode();
        state.put("global_step", step);
        state.put("epoch", batches.epochAt(step));
        if (best != null) state.put("best_metric", best);
        if (bestCkpt != null) state.put("best_model_checkpoint", bestCkpt.toString());
        state.put("rng", "every random draw is derived from (seed, step); nothing else to restore");
        state.set("log_history", TrainConfig.JSON.valueToTree(history));
        Path dir = folder.checkpoint(step);
        Checkpoint.save(dir, content, adam, scaler, state);
        rotate(folder, dir, bestCkpt);
        return dir;
    }

    /**
     * Keep at most save_total_limit checkpoints, oldest deleted first. As in Hugging Face's Trainer,
     * a limit of 0 or less means no rotation, and neither the newest checkpoint (the one just
     * written) nor the best one is ever deleted.
     */
    private void rotate(RunFolder folder, Path newest, Path bestCkpt) {
        if (config.saveTotalLimit == null || config.saveTotalLimit <= 0) return;
        List<Path> all = folder.checkpoints();
        for (int i = 0; i < all.size() - config.saveTotalLimit; i++) {
            Path p = all.get(i);
            if (same(p, newest) || bestCkpt != null && same(p, bestCkpt)) continue;
            try {
                embtune.model.AtomicDir.deleteTree(p);
            } catch (java.io.IOException e) {
                out.println("warning: could not delete old checkpoint " + p + ": " + e.getMessage());
            }
        }
    }

    private static boolean same(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private static Map<String, Object> event(int step, double epoch) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("step", step);
        e.put("epoch", Math.round(epoch * 1e4) / 1e4);
        return e;
    }

    private static String format(Map<String, Object> e) {
        StringBuilder sb = new StringBuilder();
        e.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "  ").append(k).append(' ')
                .append(v instanceof Double d ? String.format("%.4f", d) : v));
        return sb.toString();
    }

    /** Training cannot go on (NaN loss and the like); earlier checkpoints are untouched. */
    public static final class TrainingError extends IllegalStateException {
        public TrainingError(String message) {
            super(message);
        }
    }
}
