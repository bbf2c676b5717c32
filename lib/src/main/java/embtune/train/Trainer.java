package embtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.loss.EmbeddingLoss;
import embtune.loss.LossType;
import embtune.model.Embedder;
import embtune.engine.Seeds;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private TrainConfig config;
    private final Embedder model;
    private PrintStream out = embtune.Log.lines();
    private Boolean terminal;
    private EmbeddingLoss customLoss;
    private java.util.function.Consumer<TrainEvent> onLog = e -> {};
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
    public Trainer loss(String lossType) { return set("loss_type", lossType); }
    public Trainer loss(LossType t) { return set("loss_type", t.id()); }
    public Trainer epochs(double n) { return set("num_train_epochs", n); }
    public Trainer maxSteps(int n) { return set("max_steps", n); }
    public Trainer batchSize(int n) { return set("per_device_train_batch_size", n); }
    public Trainer learningRate(double lr) { return set("learning_rate", lr); }
    public Trainer outputDir(String dir) { return set("output_dir", dir); }
    /** LoRA with this rank and alpha (other LoRA settings: {@code set("lora_dropout", 0.1)} ...). */
    public Trainer lora(int rank, double alpha) { return set("train_type", "lora").set("lora_rank", rank).set("lora_alpha", alpha); }
    /** Any setting by its command-line name: {@code set("eval_steps", 8)}, {@code set("infonce_temperature", 0.05)}. */
    public Trainer set(String flag, Object value) { config = config.with(flag, value); return this; }
    public Trainer logTo(PrintStream p) { out = p; return this; }
    /** Train with your own loss over embeddings; the data layout follows its {@code wantsPairs()}. */
    public Trainer loss(EmbeddingLoss custom) { customLoss = custom; return this; }
    /** Called with every event (step, eval, save), e.g. to plot live in a notebook. */
    public Trainer onLog(java.util.function.Consumer<TrainEvent> listener) { onLog = listener; return this; }
    public Trainer terminal(boolean t) { terminal = t; return this; }
    /** The settings so far (a value; change them with the fluent methods). */
    public TrainConfig config() { return config; }

    @Override
    public String toString() {
        return "Trainer " + model + "\n" + config;
    }

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
            return loop(TrainPlan.of(config, model, customLoss, train, val, out));
        } finally {
            finished.countDown();
        }
    }

    /**
     * The training loop, as the class comment draws it. Every random draw derives from (seed,
     * step), so a resumed run continues with exactly the curve an uninterrupted run has.
     */
    private Run loop(TrainPlan p) {
        TrainPlan.Resume resume = p.resume();
        RunFolder folder = p.isResumed() ? RunFolder.resumed(resume.checkpoint(), resumedOutputDir(p.args(), resume.checkpoint()), p.args().addVersion,
                resume.history()) : p.args().addVersion ? RunFolder.create(Path.of(p.args().outputDir)) : RunFolder.at(Path.of(p.args().outputDir));
        folder.writeArgs(p.args());
        List<TrainEvent> history = new ArrayList<>(resume.history());
        Best best = new Best(resume.best(), resume.bestCheckpoint());
        Progress progress = new Progress(out, terminal != null ? terminal : System.console() != null, p.total(), resume.start());
        printHeader(p, folder);

        if (p.val() != null && p.args().evalOnStart && !p.isResumed()) logEvaluation(p, 0, history, folder, progress);
        Path last = null;
        boolean interrupted = false;
        int done = resume.start();
        double lastLoss = Double.NaN;
        try (TrainStep trainStep = new TrainStep(model, p.loss(), p.trainable(), newOptimizer(p), p.settings())) {
            if (p.isResumed()) Checkpoint.loadOptimizer(resume.checkpoint(), trainStep.optimizer(), trainStep.scaler(), model.manager());
            Window window = new Window(model.manager());
            long seed = p.args().seed;
            for (int step = resume.start(); step < p.total() && !stopRequested; step++) {
                Seeds.engine(seed, Seeds.Stream.DROPOUT, step);
                double lr = p.schedule().at(step);
                var batches = p.batches().forStep(step, p.loss().wantsPairs(), Seeds.random(seed, Seeds.Stream.SAMPLING, step));
                window.add(trainStep.run(batches, lr, window.manager()));
                done = step + 1;
                boolean lastStep = done == p.total();
                if (done % p.args().loggingSteps == 0 || done % p.args().saveSteps == 0 || lastStep) {
                    TrainEvent.Step e = window.drain(done, p.batches().epochAt(done), lr, progress, trainStep.scaler(), last);
                    lastLoss = e.loss();
                    log(e, history, folder);
                    progress.update(done, lastLoss, lr);
                }
                if (p.val() != null && !p.args().evalStrategy.equals("no") && (done % p.args().evalEvery() == 0 || lastStep)) {
                    TrainEvent.Eval e = logEvaluation(p, done, history, folder, progress);
                    best = best.offer(e.loss(), folder.checkpoint(done));
                }
                if (done % p.args().saveSteps == 0 || lastStep)
                    last = save(folder, p, trainStep, done, history, best);
            }
            window.close();
            interrupted = done < p.total();
            if (interrupted && done > resume.start() && (last == null || RunFolder.stepOf(last) != done)) {
                last = save(folder, p, trainStep, done, history, best);
                progress.line("interrupted: saved " + last + "; continue with --resume_from_checkpoint " + last);
            }
        } finally {
            folder.close();
        }
        Path report = embtune.report.Report.write(folder.dir(), p.val() != null && p.loss().wantsPairs() ? similarities(p.val()) : null);
        if (!Double.isNaN(lastLoss)) out.printf("done: loss %.4f, checkpoint %s%n  report %s%n", lastLoss, last, report);
        String change = beforeAfter(history);
        if (!change.isEmpty()) out.print(change);
        return new Run(folder.dir(), history, model, last, best.checkpoint(), interrupted);
    }

    /**
     * Where a resumed run's folder goes: under --output_dir when one other than the default was
     * given, else beside the run the checkpoint belongs to (a new vN- there).
     */
    static Path resumedOutputDir(TrainConfig args, Path checkpoint) {
        if (!args.outputDir.equals(new TrainConfig().outputDir)) return Path.of(args.outputDir);
        return checkpoint.toAbsolutePath().normalize().getParent().getParent();
    }

    /** The first and last evaluation side by side, when the run evaluated before its first step. */
    static String beforeAfter(List<TrainEvent> history) {
        List<TrainEvent.Eval> evals = history.stream().filter(e -> e instanceof TrainEvent.Eval).map(e -> (TrainEvent.Eval) e).toList();
        if (evals.size() < 2 || evals.get(0).step() != 0) return "";
        TrainEvent.Eval before = evals.get(0), after = evals.get(evals.size() - 1);
        StringBuilder sb = new StringBuilder(String.format("%n  %-28s %10s %10s%n", "evaluation, step 0 -> " + after.step(), "before", "after"));
        before.metrics().forEach((k, b) -> {
            Double a = after.metrics().get(k);
            if (a != null)
                sb.append(String.format(java.util.Locale.ROOT, "  %-28s %10.4f %10.4f%s%n", k.substring(5), b, a, better(k, b, a)));
        });
        return sb.toString();
    }

    /** An arrow where a metric moved the good way (loss and mean_neg down, the rest up). */
    private static String better(String key, double before, double after) {
        if (Math.abs(after - before) < 1e-4) return "";
        boolean lowerIsBetter = key.endsWith("loss") || key.endsWith("mean_neg");
        return (after < before) == lowerIsBetter ? "  better" : "  worse";
    }

    private AdamW newOptimizer(TrainPlan p) {
        TrainConfig a = p.args();
        return new AdamW(p.trainable(), model.manager(), a.adamBeta1, a.adamBeta2, a.adamEpsilon, a.weightDecay);
    }

    private void printHeader(TrainPlan p, RunFolder folder) {
        String envProblem = p.precision().environmentProblem(model.device());
        if (envProblem != null) out.println("warning: " + envProblem);
        out.printf("embtune: %s%n  data %s (%,d rows) -> %,d steps of %d x %d, loss %s%n  precision %s%s%n  run folder %s%n",
                model, p.train().name(), p.train().size(), p.total(), p.args().perDeviceTrainBatchSize, p.args().accumulation(),
                p.loss(), p.precision().effective(model.device()), p.args().gradientCheckpointing ? ", gradient checkpointing" : "",
                folder.dir());
    }

    private void log(TrainEvent event, List<TrainEvent> history, RunFolder folder) {
        history.add(event);
        folder.log(event.toMap());
        onLog.accept(event);
    }

    /** Evaluates after {@code step}, logs it and shows it; returns the event. */
    private TrainEvent.Eval logEvaluation(TrainPlan p, int step, List<TrainEvent> history, RunFolder folder, Progress progress) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        // eval batches draw their own stream at each evaluation, so an eval never depends on the steps before it
        metrics.put("eval_loss", evalLoss(p.val(), p.loss(), p.args().perDeviceEvalBatchSize, Seeds.random(p.args().seed, Seeds.Stream.EVAL_SAMPLING, step)));
        if (customLoss == null)
            embtune.eval.Evaluator.evaluate(model::embed, p.val(), p.lossType() == LossType.INFONCE, p.nce())
                    .forEach((k, v) -> metrics.put("eval_" + k, v));
        TrainEvent.Eval e = new TrainEvent.Eval(step, p.batches().epochAt(step), metrics);
        log(e, history, folder);
        progress.line(format(e.toMap()));
        return e;
    }

    /**
     * The steps since the last log: their losses and gradient norms stay on the device until
     * read here, the only host sync of the loop. A non-finite loss stops the run (fp16 instead
     * skips the step, and stops only when even a tiny loss scale overflows).
     */
    private static final class Window {
        private final NDManager parent;
        private NDManager manager;
        private final List<NDArray> losses = new ArrayList<>();
        private NDArray gradNorm;

        Window(NDManager parent) {
            this.parent = parent;
            this.manager = parent.newSubManager();
        }

        NDManager manager() { return manager; }

        void add(TrainStep.Result r) {
            losses.add(r.loss());
            gradNorm = r.gradNorm();
        }

        TrainEvent.Step drain(int step, double epoch, double lr, Progress progress, LossScaler scaler, Path lastGood) {
            double sum = 0;
            int counted = 0;
            for (NDArray l : losses) {
                float v = l.getFloat();
                if (scaler != null && !Float.isFinite(v)) continue; // fp16: an overflowed step was skipped, not learned from
                sum += v;
                counted++;
            }
            double mean = counted == 0 ? Double.NaN : sum / counted, norm = gradNorm.getFloat();
            manager.close();
            manager = parent.newSubManager();
            losses.clear();
            String keep = " The last good checkpoint is " + (lastGood == null ? "none" : lastGood) + " and was left as it was";
            if (scaler != null && scaler.currentScale() < 1e-4f)
                throw new TrainingError("fp16: gradients overflow even at loss scale " + scaler.currentScale() + " (step " + step
                        + "), so the forward pass itself overflows float16; use --precision tf32 or fp32." + keep);
            if (scaler == null && (!Double.isFinite(mean) || !Double.isFinite(norm)))
                throw new TrainingError("loss is " + mean + " (grad norm " + norm + ") at step " + step + "; stopped"
                        + (lastGood == null ? " (lower the learning rate?)." : ".") + keep);
            return new TrainEvent.Step(step, epoch, mean, Double.isFinite(norm) ? norm : null, // null: an fp16 step skipped on overflow
                    lr, progress.itPerSec(step), progress.elapsed(), scaler == null ? null : (double) scaler.currentScale(),
                    scaler == null ? null : scaler.skipped());
        }

        void close() {
            manager.close();
        }
    }

    /** The lowest eval_loss so far and the checkpoint of its step. */
    private record Best(Double metric, Path checkpoint) {
        Best offer(double m, Path at) {
            return metric == null || m < metric ? new Best(m, at) : this;
        }
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

    /** eval_loss over the validation set, batch by batch without gradients, weighted by batch size. */
    private double evalLoss(Dataset val, EmbeddingLoss loss, int bs, java.util.Random sampling) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < val.size(); i += bs) {
            List<Record> rec = val.records().subList(i, Math.min(val.size(), i + bs));
            StepBatch b = StepBatch.of(rec, loss.wantsPairs()).sampling(sampling);
            try (NDScope scope = new NDScope(); NDManager step = model.manager().newSubManager()) {
                scope.suppressNotUsedWarning();
                sum += loss.compute(model.forward(model.encode(b.texts()), step), b.layout()).getFloat() * rec.size();
                n += rec.size();
            }
        }
        return sum / n;
    }

    private Path save(RunFolder folder, TrainPlan p, TrainStep trainStep, int step, List<TrainEvent> history, Best best) {
        ObjectNode state = TrainConfig.JSON.createObjectNode();
        state.put("global_step", step);
        state.put("epoch", p.batches().epochAt(step));
        if (best.metric() != null) state.put("best_metric", best.metric());
        if (best.checkpoint() != null) state.put("best_model_checkpoint", best.checkpoint().toString());
        state.put("rng", "every random draw is derived from (seed, step); nothing else to restore");
        state.set("log_history", TrainConfig.JSON.valueToTree(history.stream().map(TrainEvent::toMap).toList()));
        Path dir = folder.checkpoint(step);
        Checkpoint.save(dir, p.content(), trainStep.optimizer(), trainStep.scaler(), state);
        rotate(folder, dir, best.checkpoint(), p.args().saveTotalLimit);
        onLog.accept(new TrainEvent.Save(step, p.batches().epochAt(step), dir));
        return dir;
    }

    /**
     * Keep at most save_total_limit checkpoints, oldest deleted first. As in Hugging Face's Trainer,
     * a limit of 0 or less means no rotation, and neither the newest checkpoint (the one just
     * written) nor the best one is ever deleted.
     */
    private void rotate(RunFolder folder, Path newest, Path bestCkpt, Integer limit) {
        if (limit == null || limit <= 0) return;
        List<Path> all = folder.checkpoints();
        for (int i = 0; i < all.size() - limit; i++) {
            Path p = all.get(i);
            if (same(p, newest) || bestCkpt != null && same(p, bestCkpt)) continue;
            try {
                embtune.weights.AtomicDir.deleteTree(p);
            } catch (java.io.IOException e) {
                out.println("warning: could not delete old checkpoint " + p + ": " + e.getMessage());
            }
        }
    }

    private static boolean same(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
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
