package embtune.train;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.List;

/**
 * Every knob of a run, named and defaulted like {@code swift sft} (snake_case in args.json and on
 * the command line). Plain public fields, like nanoGPT's config: read it top to bottom.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.PUBLIC_ONLY)
public class TrainConfig {
    /** The one-line description a field shows in --help. */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.FIELD)
    public @interface Help {
        String value();
    }

    // what to train
    @Help("LoRA rank")
    public int loraRank = 8;
    @Help("LoRA alpha (scaling alpha / rank)")
    public double loraAlpha = 32;
    @Help("dropout on the LoRA input")
    public double loraDropout = 0.05;
    @Help("layers to adapt: all-linear, or names like q_proj,v_proj")
    public String targetModules = "all-linear";
    @Help("rsLoRA scaling alpha / sqrt(rank)")
    public boolean useRslora = false;
    @Help("model folder (Hugging Face / sentence-transformers layout); default: the bundled all-MiniLM-L6-v2")
    public String model = null;
    @Help("where hub ids (--model org/name, --dataset org/name) come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
    public String hub = null;
    @Help("training data: path[:subset][#N], comma-separated for several; default: a bundled STS-B sample fitting the loss")
    public List<String> dataset = new ArrayList<>();
    @Help("validation data (same syntax); replaces split_dataset_ratio")
    public List<String> valDataset = new ArrayList<>();
    @Help("hold out max(int(n*r),1) training rows for validation, seeded")
    public double splitDatasetRatio = 0.0;
    @Help("cosine_similarity, contrastive, online_contrastive, infonce, or auto (from the data kind)")
    public String lossType = "auto";
    @Help("full or lora")
    public String trainType = "full";
    @Help("CSV/TSV columns: anchor,positive[,label] or anchor=..,positive=..,label=..,scale=5")
    public String columns = null;
    @Help("skip invalid data rows (counted, reported) instead of stopping")
    public boolean skipInvalid = false;

    // how long and how big
    @Help("passes over the training data")
    public double numTrainEpochs = 1;
    @Help("optimizer steps; > 0 overrides num_train_epochs")
    public int maxSteps = -1;
    @Help("rows (pairs or groups) per forward pass")
    public int perDeviceTrainBatchSize = 16;
    @Help("rows per evaluation batch")
    public int perDeviceEvalBatchSize = 16;
    @Help("micro-batches per optimizer step (default ceil(16 / batch size))")
    public Integer gradientAccumulationSteps = null;
    @Help("tokens per text (default: the model's)")
    public Integer maxLength = null;
    @Help("drop the last incomplete batch of each epoch")
    public boolean dataloaderDropLast = false;

    // optimizer and schedule (AdamW, ms-swift defaults)
    @Help("peak learning rate (default 1e-5 full, 1e-4 LoRA)")
    public Double learningRate = null;
    @Help("AdamW decoupled weight decay")
    public double weightDecay = 0.1;
    @Help("AdamW beta1")
    public double adamBeta1 = 0.9;
    @Help("AdamW beta2")
    public double adamBeta2 = 0.95;
    @Help("AdamW epsilon")
    public double adamEpsilon = 1e-8;
    @Help("clip the global gradient norm to this (0 = off)")
    public double maxGradNorm = 1.0;
    @Help("constant, linear or cosine")
    public String lrSchedulerType = "cosine";
    @Help("fraction of steps warming up linearly from 0")
    public double warmupRatio = 0.0;
    @Help("warmup steps; > 0 overrides warmup_ratio")
    public int warmupSteps = 0;

    // losses
    @Help("margin of contrastive and online_contrastive (cosine distance)")
    public double margin = 0.5;
    @Help("InfoNCE temperature (env INFONCE_TEMPERATURE, default 0.1)")
    public Double infonceTemperature = null;
    @Help("InfoNCE: other rows of the batch are negatives (env INFONCE_USE_BATCH, default true)")
    public Boolean infonceUseBatch = null;
    @Help("InfoNCE: exactly n hard negatives per row (env INFONCE_HARD_NEGATIVES)")
    public Integer infonceHardNegatives = null;
    @Help("InfoNCE: mask negatives scoring above positive + margin (env INFONCE_MASK_FAKE_NEGATIVE)")
    public Boolean infonceMaskFakeNegative = null;
    @Help("InfoNCE: that margin (env INFONCE_FAKE_NEG_MARGIN, default 0.1)")
    public Double infonceFakeNegMargin = null;
    @Help("InfoNCE: query-query similarities in the denominator (env INFONCE_INCLUDE_QQ)")
    public Boolean infonceIncludeQq = null;
    @Help("InfoNCE: positive-document similarities in the denominator (env INFONCE_INCLUDE_DD)")
    public Boolean infonceIncludeDd = null;
    @Help("cached loss (GradCache): embed in chunks of this many texts, so memory does not grow with the batch")
    public Integer miniBatchSize = null;
    @Help("auto (tf32 on a GPU, fp32 on the CPU), fp32, tf32, or fp16 (float32 master weights, dynamic loss scaling)")
    public String precision = "auto";
    @Help("recompute each layer during backward: activations of one layer instead of all, for one more forward pass")
    public boolean gradientCheckpointing = false;
    @Help("Matryoshka dims: 32,64,128 or {\"32\": 1.0, \"64\": 0.5}")
    public String mrlDims = null;

    // bookkeeping
    @Help("where run folders vN-YYYYMMDD-HHMMSS/ go")
    public String outputDir = "output";
    @Help("log (and read the loss) every N steps")
    public int loggingSteps = 5;
    @Help("steps or no")
    public String evalStrategy = "steps";
    @Help("evaluate every N steps (default save_steps)")
    public Integer evalSteps = null;
    @Help("checkpoint every N steps (and at the end)")
    public int saveSteps = 500;
    @Help("keep at most N checkpoints (the best is kept)")
    public Integer saveTotalLimit = null;
    @Help("seed for initialisation, sampling and every random draw")
    public long seed = 42;
    @Help("seed for shuffling, splitting and #N sampling")
    public long dataSeed = 42;
    @Help("auto, cpu, gpu or gpu:N")
    public String device = "auto";
    @Help("continue a run from its checkpoint-STEP folder")
    public String resumeFromCheckpoint = null;

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
