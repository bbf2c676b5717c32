package embtune.train;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.data.Dataset;
import embtune.loss.EmbeddingLoss;
import embtune.loss.InfoNceOptions;
import embtune.loss.LossType;
import embtune.loss.Losses;
import embtune.lora.Adapter;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.model.Embedder;
import embtune.model.Family;
import embtune.engine.Precision;
import embtune.engine.Seeds;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Everything a run needs, decided once before the first step: the data, the loss, which
 * parameters train and what a checkpoint holds, the schedule, the precision, and where a resumed
 * run starts. {@code args} is the configuration with every default filled in as it was applied;
 * it is what args.json records.
 */
record TrainPlan(TrainConfig args, Dataset train, Dataset val, LossType lossType, EmbeddingLoss loss, InfoNceOptions nce,
                 Map<String, Parameter> trainable, Checkpoint.Content content, Batches batches, int total,
                 LrSchedule schedule, Precision precision, TrainStep.Settings settings, Resume resume) {

    /** Where a run continues: the step after its checkpoint, the history and best checkpoint so far. */
    record Resume(Path checkpoint, int start, List<TrainEvent> history, Double best, Path bestCheckpoint) {
        static final Resume NONE = new Resume(null, 0, List.of(), null, null);

        @SuppressWarnings("unchecked")
        static Resume from(String checkpoint) {
            if (checkpoint == null) return NONE;
            Path ckpt = Path.of(checkpoint).toAbsolutePath();
            JsonNode state = Checkpoint.state(ckpt);
            List<TrainEvent> history = new ArrayList<>();
            state.path("log_history").forEach(e -> history.add(TrainEvent.fromMap(TrainConfig.JSON.convertValue(e, Map.class))));
            return new Resume(ckpt, state.get("global_step").asInt(), history,
                    state.hasNonNull("best_metric") ? state.get("best_metric").asDouble() : null,
                    state.hasNonNull("best_model_checkpoint") ? Path.of(state.get("best_model_checkpoint").asText()) : null);
        }
    }

    /** @param custom a loss of the user's own, or null for the one the settings (or the data) name */
    static TrainPlan of(TrainConfig config, Embedder model, EmbeddingLoss custom, Dataset train, Dataset val, PrintStream out) {
        config.validate();
        config.requireCheckpointTrainType();
        // what to learn, from what
        LossType lossType = custom == null ? chooseLoss(config, train, out) : null;
        // what args.json records as the data: the specs given, or the names of data sets handed over in Java
        List<String> dataNames = config.dataset.isEmpty() ? List.of(train.name()) : config.dataset;
        List<String> valNames = val == null || !config.valDataset.isEmpty() ? config.valDataset : List.of(val.name());
        double ratio = config.splitDatasetRatio;
        if (val != null) ratio = 0; // as ms-swift: an explicit validation set wins over a split
        else if (ratio > 0) {
            Dataset.Split s = train.split(ratio, config.dataSeed);
            train = s.train();
            val = s.val();
        }
        InfoNceOptions nce = infonceOptions(config); // read once: the environment does not change during a run
        MrlSpec mrl = MrlSpec.parse(config.mrlDims);
        EmbeddingLoss loss = custom != null ? custom : Losses.create(lossType, config.margin, nce, mrl.dims(), mrl.weights(),
                Seeds.random(config.seed, Seeds.Stream.SAMPLING)); // the trainer hands each batch its step's stream; this one serves other callers

        // which parameters train, and what a checkpoint holds
        Map<String, Parameter> trainable;
        Checkpoint.Content content;
        // the folder the model was loaded from (a hub id's snapshot, a checkpoint's base), resolved once by the loader
        String modelPath = model.dir().path().toAbsolutePath().normalize().toString();
        Family family = model.family();
        String refusal = config.lora() ? family.loraRefusal(config.freezeVit, config.freezeAligner) : null;
        if (refusal != null) throw new ConfigError(refusal);
        if (config.lora()) {
            LoraConfig lc = config.loraConfig().targets(family.loraTargets(config.loraConfig().targetModules()));
            if (Lora.parameters(model.encoder()).isEmpty()) Lora.apply(model, lc, config.seed); // resumed runs arrive adapted
            trainable = Lora.parameters(model.encoder());
            content = dir -> Adapter.writeInto(model, lc, modelPath, dir);
            out.println(lc + "\n  " + Lora.trainableSummary(model.encoder()));
        } else {
            trainable = fullTrainable(model, config.freezeVit, config.freezeAligner);
            String freezing = family.freezingNote(config.freezeVit, config.freezeAligner);
            if (freezing != null)
                out.println(freezing + String.format(": %,d of %,d parameters train", count(trainable), count(model.encoder().namedParameters())));
            content = Checkpoint.fullModel(model);
        }

        // how long, how fast
        int accum = config.accumulation();
        Batches batches = new Batches(train, config.perDeviceTrainBatchSize, accum, config.dataloaderDropLast, config.dataSeed);
        int total = config.maxSteps > 0 ? config.maxSteps : batches.stepsFor(config.numTrainEpochs);
        int warmup = config.warmupSteps > 0 ? config.warmupSteps : (int) Math.ceil(config.warmupRatio * total);
        LrSchedule schedule = new LrSchedule(config.lrSchedulerType, config.learningRate(), warmup, total);
        Precision.Choice choice = Precision.choose(config.precision, model.device(), model.encoder().config().torchDtype());
        out.println("precision " + choice);
        Precision precision = choice.precision();
        TrainStep.Settings settings = TrainStep.Settings.of(config.maxGradNorm).seed(config.seed).miniBatchSize(config.miniBatchSize)
                .gradientCheckpointing(config.gradientCheckpointing).precision(precision);

        TrainConfig args = config.with("model", modelPath).with("dataset", dataNames).with("val_dataset", valNames).with("loss_type", lossType == null ? "custom" : lossType.id())
                .with("learning_rate", config.learningRate()).with("gradient_accumulation_steps", accum)
                .with("eval_steps", config.evalEvery()).with("split_dataset_ratio", ratio)
                .with("precision", precision.name().toLowerCase(java.util.Locale.ROOT));
        return new TrainPlan(args, train, val, lossType, loss, nce, trainable, content, batches, total, schedule,
                precision, settings, Resume.from(config.resumeFromCheckpoint));
    }

    private static LossType chooseLoss(TrainConfig config, Dataset train, PrintStream out) {
        if (config.lossType == null || config.lossType.equals("auto")) {
            var choice = train.recommendedLoss();
            out.println("loss auto -> " + choice);
            return choice.loss();
        }
        LossType t = LossType.parse(config.lossType);
        train.requireFits(t);
        return t;
    }

    static InfoNceOptions infonceOptions(TrainConfig config) {
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

    boolean isResumed() {
        return resume.checkpoint() != null;
    }

    /** What full training updates: every parameter the family does not freeze (GME's vision tower and merger, by default). */
    public static Map<String, Parameter> fullTrainable(Embedder model, boolean freezeVit, boolean freezeAligner) {
        Map<String, Parameter> out = new java.util.LinkedHashMap<>(model.encoder().namedParameters());
        out.keySet().removeIf(n -> model.family().frozen(n, freezeVit, freezeAligner));
        return out;
    }

    private static long count(Map<String, Parameter> params) {
        long n = 0;
        for (Parameter p : params.values()) n += p.getArray().getShape().size();
        return n;
    }
}
