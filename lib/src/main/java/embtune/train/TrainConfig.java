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
    // what to train
    public String model = null;                 // folder; null = the bundled default
    public List<String> dataset = new ArrayList<>();
    public List<String> valDataset = new ArrayList<>();
    public double splitDatasetRatio = 0.0;      // ms-swift default since v3.6
    public String lossType = "auto";
    public String trainType = "full";           // full | lora
    public String columns = null;               // CSV column mapping
    public boolean skipInvalid = false;

    // how long and how big
    public double numTrainEpochs = 1;
    public int maxSteps = -1;                   // > 0 overrides epochs
    public int perDeviceTrainBatchSize = 16;    // ms-swift defaults to 1, which leaves InfoNCE no in-batch negatives
    public int perDeviceEvalBatchSize = 16;
    public Integer gradientAccumulationSteps = null; // null = ceil(16 / batch size), as ms-swift
    public Integer maxLength = null;            // tokens per text; null = the model's
    public boolean dataloaderDropLast = false;

    // optimizer and schedule (AdamW, ms-swift defaults)
    public Double learningRate = null;          // null = 1e-5 full, 1e-4 LoRA
    public double weightDecay = 0.1;
    public double adamBeta1 = 0.9;
    public double adamBeta2 = 0.95;
    public double adamEpsilon = 1e-8;
    public double maxGradNorm = 1.0;
    public String lrSchedulerType = "cosine";
    public double warmupRatio = 0.0;
    public int warmupSteps = 0;                 // > 0 overrides the ratio

    // losses
    public double margin = 0.5;                 // contrastive / online_contrastive
    public Double infonceTemperature = null;    // null = INFONCE_TEMPERATURE or 0.1
    public Boolean infonceUseBatch = null;
    public Integer infonceHardNegatives = null;
    public Boolean infonceMaskFakeNegative = null;
    public Double infonceFakeNegMargin = null;
    public Boolean infonceIncludeQq = null;
    public Boolean infonceIncludeDd = null;
    public String mrlDims = null;               // "32,64,128" or {"32": 1.0, "64": 0.5}

    // bookkeeping
    public String outputDir = "output";
    public int loggingSteps = 5;
    public String evalStrategy = "steps";       // steps | no
    public Integer evalSteps = null;            // null = save_steps
    public int saveSteps = 500;
    public Integer saveTotalLimit = null;
    public long seed = 42;
    public long dataSeed = 42;
    public String device = "auto";
    public String resumeFromCheckpoint = null;

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public boolean lora() {
        return trainType.equalsIgnoreCase("lora");
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
