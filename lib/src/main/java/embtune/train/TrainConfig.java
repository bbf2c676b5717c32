package embtune.train;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.List;

/**
 * Every knob of a run, named and defaulted like {@code swift sft} (snake_case in args.json and on
 * the command line), listed once, like nanoGPT's config: read it top to bottom. A value is never
 * changed in place: {@code with("learning_rate", 2e-5)} returns a copy, so a config handed to a
 * run is the config the run used.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TrainConfig implements Cloneable {
    /** The one-line description a field shows in --help. */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.FIELD)
    public @interface Help {
        String value();
    }

    // what to train
    @Help("embedding, reranker (a cross-encoder) or generative_reranker (Qwen3-Reranker)")
    String taskType = "embedding";
    @Help("ms-swift's model type (qwen3_emb, qwen2_gte, modern_bert_gte, qwen2_gme, bert): checked against the model's config.json")
    String modelType = null;
    @Help("LoRA rank")
    int loraRank = 8;
    @Help("LoRA alpha (scaling alpha / rank)")
    double loraAlpha = 32;
    @Help("dropout on the LoRA input")
    double loraDropout = 0.05;
    @Help("layers to adapt: all-linear, or names like q_proj,v_proj")
    String targetModules = "all-linear";
    @Help("rsLoRA scaling alpha / sqrt(rank)")
    boolean useRslora = false;
    @Help("GME: keep the vision tower (patch embedding and blocks) frozen; false trains it too (full training only)")
    boolean freezeVit = true;
    @Help("GME: keep the vision tower's merger (the aligner into the text width) frozen; false trains it (full training only)")
    boolean freezeAligner = true;
    @Help("model folder (Hugging Face / sentence-transformers layout); default: the bundled all-MiniLM-L6-v2")
    String model = null;
    @Help("where hub ids (--model org/name, --dataset org/name) come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
    String hub = null;
    @Help("training data: path[:subset][#N], comma-separated for several; default: a bundled STS-B sample fitting the loss")
    List<String> dataset = new ArrayList<>();
    @Help("validation data (same syntax); replaces split_dataset_ratio")
    List<String> valDataset = new ArrayList<>();
    @Help("hold out max(int(n*r),1) training rows for validation, seeded")
    double splitDatasetRatio = 0.0;
    @Help("cosine_similarity, contrastive, online_contrastive, infonce, or auto (from the data kind); rerankers: pointwise_reranker (auto) or listwise_reranker")
    String lossType = "auto";
    @Help("full or lora")
    String trainType = "full";
    @Help("CSV/TSV columns: anchor,positive[,label] or anchor=..,positive=..,label=..,scale=5")
    String columns = null;
    @Help("skip invalid data rows (counted, reported) instead of stopping")
    boolean skipInvalid = false;

    // how long and how big
    @Help("passes over the training data")
    double numTrainEpochs = 1;
    @Help("optimizer steps; > 0 overrides num_train_epochs")
    int maxSteps = -1;
    @Help("rows (pairs or groups) per forward pass")
    int perDeviceTrainBatchSize = 16;
    @Help("rows per evaluation batch")
    int perDeviceEvalBatchSize = 16;
    @Help("micro-batches per optimizer step (default ceil(16 / batch size))")
    Integer gradientAccumulationSteps = null;
    @Help("tokens per text (default: the model's)")
    Integer maxLength = null;
    @Help("drop the last incomplete batch of each epoch")
    boolean dataloaderDropLast = false;

    // optimizer and schedule (AdamW, ms-swift defaults)
    @Help("peak learning rate (default 1e-5 full, 1e-4 LoRA)")
    Double learningRate = null;
    @Help("AdamW decoupled weight decay")
    double weightDecay = 0.1;
    @Help("AdamW beta1")
    double adamBeta1 = 0.9;
    @Help("AdamW beta2")
    double adamBeta2 = 0.95;
    @Help("AdamW epsilon")
    double adamEpsilon = 1e-8;
    @Help("clip the global gradient norm to this (0 = off)")
    double maxGradNorm = 1.0;
    @Help("constant, linear or cosine")
    String lrSchedulerType = "cosine";
    @Help("fraction of steps warming up linearly from 0")
    double warmupRatio = 0.0;
    @Help("warmup steps; > 0 overrides warmup_ratio")
    int warmupSteps = 0;

    // losses
    @Help("margin of contrastive and online_contrastive (cosine distance)")
    double margin = 0.5;
    @Help("InfoNCE temperature (env INFONCE_TEMPERATURE, default 0.1)")
    Double infonceTemperature = null;
    @Help("InfoNCE: other rows of the batch are negatives (env INFONCE_USE_BATCH, default true)")
    Boolean infonceUseBatch = null;
    @Help("InfoNCE: exactly n hard negatives per row (env INFONCE_HARD_NEGATIVES)")
    Integer infonceHardNegatives = null;
    @Help("InfoNCE: mask negatives scoring above positive + margin (env INFONCE_MASK_FAKE_NEGATIVE)")
    Boolean infonceMaskFakeNegative = null;
    @Help("InfoNCE: that margin (env INFONCE_FAKE_NEG_MARGIN, default 0.1)")
    Double infonceFakeNegMargin = null;
    @Help("InfoNCE: query-query similarities in the denominator (env INFONCE_INCLUDE_QQ)")
    Boolean infonceIncludeQq = null;
    @Help("InfoNCE: positive-document similarities in the denominator (env INFONCE_INCLUDE_DD)")
    Boolean infonceIncludeDd = null;
    @Help("cached loss (GradCache): embed in chunks of this many texts, so memory does not grow with the batch")
    Integer miniBatchSize = null;
    @Help("auto (tf32 on a GPU, fp32 on the CPU), fp32, tf32, or fp16 (float32 master weights, dynamic loss scaling)")
    String precision = "auto";
    @Help("recompute each layer during backward: activations of one layer instead of all, for one more forward pass")
    boolean gradientCheckpointing = false;
    @Help("Matryoshka dims: 32,64,128 or {\"32\": 1.0, \"64\": 0.5}")
    String mrlDims = null;

    // bookkeeping
    @Help("where run folders vN-YYYYMMDD-HHMMSS/ go (a resumed run: its own new one; beside the checkpoint's run unless this is given)")
    String outputDir = "output";
    @Help("false: output_dir itself is the run folder (refused if it holds a run already or another process is writing it)")
    boolean addVersion = true;
    @Help("log (and read the loss) every N steps")
    int loggingSteps = 5;
    @Help("steps or no")
    String evalStrategy = "steps";
    @Help("evaluate once before the first step too, for a before -> after comparison")
    boolean evalOnStart = false;
    @Help("evaluate every N steps (default save_steps)")
    Integer evalSteps = null;
    @Help("checkpoint every N steps (and at the end)")
    int saveSteps = 500;
    @Help("keep at most N checkpoints (the best is kept)")
    Integer saveTotalLimit = null;
    @Help("seed for initialisation, sampling and every random draw")
    long seed = 42;
    @Help("seed for shuffling, splitting and #N sampling")
    long dataSeed = 42;
    @Help("auto, cpu, gpu or gpu:N")
    String device = "auto";
    @Help("continue a run from its checkpoint-STEP folder")
    String resumeFromCheckpoint = null;

    /** One setting as the command line spells it: name, type, help text and default. */
    public record Flag(String name, Class<?> type, String help, Object defaultValue) {}

    private static final java.util.Map<String, java.lang.reflect.Field> FIELDS = new java.util.LinkedHashMap<>();
    static {
        for (var f : TrainConfig.class.getDeclaredFields())
            if (f.isAnnotationPresent(Help.class)) FIELDS.put(f.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT), f);
    }

    /** Every setting, in the order of this file, with the defaults of a new config. */
    public static List<Flag> flags() {
        TrainConfig d = new TrainConfig();
        List<Flag> out = new ArrayList<>();
        FIELDS.forEach((name, f) -> out.add(new Flag(name, f.getType(), f.getAnnotation(Help.class).value(), d.get(name))));
        return out;
    }

    /** The value of a setting by its flag name ({@code learning_rate}, {@code learning-rate} or {@code learningRate}). */
    public Object get(String flag) {
        try {
            return FIELDS.get(name(flag)).get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A copy with one setting changed. Strings are parsed as the command line parses them
     * ("2e-5", "true", "a,b" for lists); numbers are converted to the setting's type.
     */
    public TrainConfig with(String flag, Object value) {
        String name = name(flag);
        var f = FIELDS.get(name);
        TrainConfig copy = copy();
        try {
            f.set(copy, convert(name, f.getType(), value));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        return copy;
    }

    /** A flag as the command line spells it (learning_rate) from any spelling (learning-rate, learningRate). */
    private static String name(String flag) {
        String name = flag.replace('-', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
        if (!FIELDS.containsKey(name)) throw new ConfigError(name, flag, "no such setting; see train --help for the list");
        return name;
    }

    private static Object convert(String flag, Class<?> t, Object v) {
        if (v == null) {
            if (t.isPrimitive()) throw new ConfigError(flag, "null", "it needs a value");
            return t == List.class ? new ArrayList<String>() : null;
        }
        try {
            if (t == List.class) {
                List<String> out = new ArrayList<>();
                if (v instanceof java.util.Collection<?> c) c.forEach(x -> out.add(String.valueOf(x)));
                else for (String part : String.valueOf(v).split(",")) if (!part.isBlank()) out.add(part.trim());
                return out;
            }
            if (t == String.class) return String.valueOf(v);
            if (t == boolean.class || t == Boolean.class) {
                if (v instanceof Boolean b) return b;
                String b = String.valueOf(v).trim();
                if (b.equalsIgnoreCase("true") || b.equals("1")) return true;
                if (b.equalsIgnoreCase("false") || b.equals("0")) return false;
                throw new ConfigError("--" + flag + " takes true or false, not '" + v + "'");
            }
            if (v instanceof String text) {
                String n = text.trim();
                if (t == int.class || t == Integer.class) return Integer.valueOf(n);
                if (t == long.class || t == Long.class) return Long.valueOf(n);
                return Double.valueOf(n);
            }
            if (v instanceof Number n) {
                if (t == int.class || t == Integer.class) {
                    if (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE)
                        throw new ConfigError(flag, v, "it takes a whole number");
                    return n.intValue();
                }
                if (t == long.class || t == Long.class) return n.longValue();
                return n.doubleValue();
            }
        } catch (NumberFormatException e) {
            boolean whole = String.valueOf(v).trim().matches("[-+]?\\d+");
            throw new ConfigError("--" + flag + ": '" + v + "' is " + (whole ? "out of range (a whole number from " + (t == long.class || t == Long.class
                    ? Long.MIN_VALUE + " to " + Long.MAX_VALUE : Integer.MIN_VALUE + " to " + Integer.MAX_VALUE) + ")" : "not a number"));
        }
        throw new ConfigError(flag, v, "it takes a " + t.getSimpleName());
    }

    private TrainConfig copy() {
        try {
            TrainConfig c = (TrainConfig) clone();
            c.dataset = new ArrayList<>(dataset);
            c.valDataset = new ArrayList<>(valDataset);
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    // ---- what other packages read (the train package reads the fields) ------------------------
    public String model() { return model; }
    public String device() { return device; }
    public String precision() { return precision; }
    public String hub() { return hub; }
    public String lossType() { return lossType; }
    public String taskType() { return taskType; }

    /** --task_type reranker or generative_reranker: a model that scores (query, document) pairs. */
    public boolean reranker() {
        return taskType != null && taskType.toLowerCase(java.util.Locale.ROOT).endsWith("reranker");
    }
    public String modelType() { return modelType; }
    public String resumeFromCheckpoint() { return resumeFromCheckpoint; }

    /**
     * A resumed run trains what its checkpoint holds: a PEFT adapter folder continues LoRA, a model
     * folder continues full training. Asked for the other, it would silently train something else
     * (or load AdamW moments into parameters they do not belong to), so it is refused before any work.
     */
    public void requireCheckpointTrainType() {
        if (resumeFromCheckpoint == null) return;
        boolean adapter = embtune.lora.Adapter.isAdapter(java.nio.file.Path.of(resumeFromCheckpoint));
        if (adapter != lora())
            throw new ConfigError("--train_type " + trainType + " does not match --resume_from_checkpoint " + resumeFromCheckpoint
                    + ", a " + (adapter ? "LoRA checkpoint (adapter_config.json): resume it with --train_type lora"
                    : "full-model checkpoint: resume it with --train_type full (to put LoRA on it, start a new run with --model " + resumeFromCheckpoint + ")"));
    }

    public Integer maxLength() { return maxLength; }
    public List<String> dataset() { return List.copyOf(dataset); }
    public List<String> valDataset() { return List.copyOf(valDataset); }

    /** How the data sets of this run are read: --skip_invalid, --columns, --data_seed, --hub. */
    public embtune.data.LoadOptions loadOptions() {
        return embtune.data.LoadOptions.defaults().skipInvalid(skipInvalid).seed(dataSeed).hub(hub)
                .columns(columns == null ? null : embtune.data.Columns.parse(columns));
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public boolean lora() {
        return trainType.equalsIgnoreCase("lora");
    }

    public embtune.lora.LoraConfig loraConfig() {
        return new embtune.lora.LoraConfig(loraRank, loraAlpha, loraDropout,
                java.util.Arrays.stream(targetModules.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(), useRslora);
    }

    public double learningRate() {
        return learningRate != null ? learningRate : lora() ? 1e-4 : 1e-5;
    }

    public int accumulation() {
        return gradientAccumulationSteps != null ? gradientAccumulationSteps
                : Math.max(1, (int) Math.ceil(16.0 / perDeviceTrainBatchSize));
    }

    public int evalEvery() {
        return evalSteps != null ? evalSteps : saveSteps;
    }

    /**
     * Checks every number and choice against what it can mean, so a slip (a negative learning
     * rate, a warmup ratio of 5, qlora) stops the run before anything is written instead of
     * training on something else. Returns this for chaining.
     */
    public TrainConfig validate() {
        positive("learning_rate", learningRate);
        atLeast("weight_decay", weightDecay, 0);
        unitOpen("adam_beta1", adamBeta1);
        unitOpen("adam_beta2", adamBeta2);
        positive("adam_epsilon", adamEpsilon);
        atLeast("max_grad_norm", maxGradNorm, 0);
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new ConfigError("warmup_ratio", warmupRatio, "it must be in [0, 1]");
        atLeast("warmup_steps", warmupSteps, 0);
        positive("num_train_epochs", numTrainEpochs);
        if (maxSteps == 0 || maxSteps < -1) throw new ConfigError("max_steps", maxSteps, "it must be > 0, or -1 for num_train_epochs");
        atLeast("per_device_train_batch_size", perDeviceTrainBatchSize, 1);
        atLeast("per_device_eval_batch_size", perDeviceEvalBatchSize, 1);
        if (gradientAccumulationSteps != null) atLeast("gradient_accumulation_steps", gradientAccumulationSteps, 1);
        if (maxLength != null) atLeast("max_length", maxLength, 1);
        if (miniBatchSize != null) atLeast("mini_batch_size", miniBatchSize, 1);
        if (!(splitDatasetRatio >= 0 && splitDatasetRatio < 1))
            throw new ConfigError("split_dataset_ratio", splitDatasetRatio, "it must be in [0, 1)");
        atLeast("logging_steps", loggingSteps, 1);
        atLeast("save_steps", saveSteps, 1);
        if (evalSteps != null) atLeast("eval_steps", evalSteps, 1);
        atLeast("lora_rank", loraRank, 1);
        positive("lora_alpha", loraAlpha);
        if (!(loraDropout >= 0 && loraDropout < 1)) throw new ConfigError("lora_dropout", loraDropout, "it must be in [0, 1)");
        atLeast("margin", margin, 0);
        if (infonceTemperature != null) positive("infonce_temperature", infonceTemperature);
        if (infonceHardNegatives != null) atLeast("infonce_hard_negatives", infonceHardNegatives, 0);
        oneOf("task_type", taskType, "embedding", "reranker", "generative_reranker");
        oneOf("train_type", trainType, "full", "lora");
        oneOf("lr_scheduler_type", lrSchedulerType, "constant", "linear", "cosine");
        oneOf("eval_strategy", evalStrategy, "steps", "no");
        String loss = lossType == null ? "auto" : lossType.replace('-', '_');
        if (reranker()) oneOf("loss_type", loss, "auto", "pointwise_reranker", "listwise_reranker");
        else oneOf("loss_type", loss, "auto", "cosine_similarity", "contrastive", "online_contrastive", "infonce");
        if (precision != null) oneOf("precision", precision, "auto", "fp32", "tf32", "fp16", "bf16");
        if (hub != null) oneOf("hub", hub, "huggingface", "hf", "modelscope", "ms");
        if (device != null && !device.toLowerCase(java.util.Locale.ROOT).matches("auto|cpu|(gpu|cuda)(:\\d+)?"))
            throw new ConfigError("device", device, "choose auto, cpu, gpu or gpu:N");
        return this;
    }

    private static void positive(String flag, Double v) {
        if (v != null && !(v > 0 && Double.isFinite(v))) throw new ConfigError(flag, v, "it must be > 0");
    }

    private static void atLeast(String flag, double v, double min) {
        if (!(v >= min && Double.isFinite(v))) throw new ConfigError(flag, v == Math.rint(v) ? (Object) (long) v : v, "it must be >= " + (long) min);
    }

    private static void unitOpen(String flag, double v) {
        if (!(v >= 0 && v < 1)) throw new ConfigError(flag, v, "it must be in [0, 1)");
    }

    private static void oneOf(String flag, String v, String... allowed) {
        String k = v == null ? null : v.toLowerCase(java.util.Locale.ROOT);
        for (String a : allowed) if (a.equals(k)) return;
        String why = flag.equals("train_type") && "qlora".equals(k)
                ? "qlora needs 4-bit quantised weights, which this engine cannot run; use lora"
                : "choose " + String.join(", ", allowed);
        throw new ConfigError(flag, v, why);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static TrainConfig fromJson(String json) {
        try {
            return JSON.readValue(json, TrainConfig.class);
        } catch (Exception e) {
            throw new IllegalArgumentException("not a TrainConfig: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return toJson();
    }
}
