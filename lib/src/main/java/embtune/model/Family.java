package embtune.model;

import embtune.ModelError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One architecture embtune runs, chosen at load time by config.json's {@code model_type}. A family
 * owns everything that differs between architectures: how its config reads, which encoder it
 * builds, how texts (and images) become the encoder's inputs, how its tensors are named on disk and
 * under peft, which layers LoRA adapts and which stay frozen. The rest of embtune asks the family
 * instead of testing which one it has. Adding a family is its own file plus a line in
 * {@link Families}.
 */
public abstract class Family {
    private final String modelType;
    private final String examples;
    private final Pooling.Mode defaultPooling;
    private final List<String> swiftModelTypes;

    /**
     * @param swiftModelTypes ms-swift's {@code --model_type} names for this family, the one to suggest first
     */
    protected Family(String modelType, String examples, Pooling.Mode defaultPooling, String... swiftModelTypes) {
        this.modelType = modelType;
        this.examples = examples;
        this.defaultPooling = defaultPooling;
        this.swiftModelTypes = List.of(swiftModelTypes);
    }

    public String modelType() { return modelType; }
    public String examples() { return examples; }

    /** The pooling when the folder has no sentence-transformers files. */
    public Pooling.Mode defaultPooling() { return defaultPooling; }

    /** Decoder families pool the last token, which must be the appended {@code <|endoftext|>}. */
    public boolean isDecoder() { return false; }

    /** Families with a vision tower, whose inputs may hold images. */
    public boolean hasVision() { return false; }

    // ---- config

    /** The object the text model's fields are read from (a multimodal config nests them). */
    protected ObjectNode textConfig(ObjectNode top) {
        return top;
    }

    /** What this family reads beyond the sizes every transformer has. */
    protected abstract ModelConfig.Architecture architecture(JsonNode c, int layers, int headDim, String where);

    // ---- network

    public abstract Encoder encoder(ModelConfig config);

    // ---- inputs

    /** The padding side, given what the folder's tokenizer_config.json says. */
    public TextTokenizer.Side paddingSide(TextTokenizer.Side fromFolder) {
        return fromFolder;
    }

    /** How texts become this family's encoder inputs; {@code dir} holds any processor files it needs. */
    public ModelInputs inputs(TextTokenizer tokenizer, Path dir, ModelConfig config) {
        return new TextInputs(tokenizer, dir.toAbsolutePath().normalize().getFileName() + " (" + modelType + ")");
    }

    // ---- rerankers

    /** The classification head of this family's *ForSequenceClassification with one label (a cross-encoder). */
    public ScoreHead classifierHead(ModelConfig config, String where) {
        throw new ModelError(where + ": embtune has no cross-encoder head for " + modelType + " models (bert and modernbert have one)");
    }

    /**
     * A generative reranker's head: the language-model logits of the answer tokens at the last position.
     * @param tied whether the checkpoint ties the LM head to the input embeddings (then the encoder's rows are used)
     */
    public ScoreHead answerHead(ModelConfig config, Encoder encoder, boolean tied, long yes, long no, String where) {
        throw new ModelError(where + ": " + modelType + " models are not generative rerankers here (Qwen3-Reranker is a qwen3 model)");
    }

    // ---- save layout

    /** A parameter's tensor name in the saved model.safetensors, from its module path. */
    public String tensorName(String parameter) {
        return parameter;
    }

    /** The key peft gives an adapter tensor: its module path in the transformers class, under base_model.model. */
    public String peftKey(String parameter) {
        return "base_model.model." + parameter;
    }

    /** Whether a saved folder gets sentence-transformers' module files (modules.json, pooling, normalize). */
    public boolean writesSentenceTransformers() {
        return true;
    }

    // ---- training

    /** The modules LoRA adapts for the requested targets ({@code all-linear} means every linear layer). */
    public List<String> loraTargets(List<String> requested) {
        return requested;
    }

    /** Why LoRA cannot train with these freeze settings, or null when it can. */
    public String loraRefusal(boolean freezeVit, boolean freezeAligner) {
        return null;
    }

    /** Whether full training leaves this parameter as it is. */
    public boolean frozen(String parameter, boolean freezeVit, boolean freezeAligner) {
        return false;
    }

    /** A line on what full training freezes, or null when it trains everything. */
    public String freezingNote(boolean freezeVit, boolean freezeAligner) {
        return null;
    }

    // ---- lookup

    /** The family of a config.json's model_type. */
    public static Family of(String modelType, String where) {
        for (Family f : Families.ALL) if (f.modelType.equals(modelType)) return f;
        throw new ModelError(where + ": unsupported architecture model_type '" + modelType + "'; supported: " + supported());
    }

    /**
     * Checks ms-swift's {@code --model_type} against this family: qwen3_emb is a Qwen3 model,
     * qwen2_gte a Qwen2 one, modern_bert_gte a ModernBERT one; the GME types are multimodal.
     */
    public void requireSwiftModelType(String swiftType, String where) {
        if (swiftType == null) return;
        String t = swiftType.toLowerCase(Locale.ROOT);
        if (t.startsWith("qwen3_vl") || t.startsWith("qwen2_5_vl"))
            throw new ModelError("--model_type " + swiftType + " is not supported yet; the multimodal family embtune runs is qwen2_gme (GME, Qwen2-VL)");
        Family expected = Families.ALL.stream().filter(f -> f.swiftModelTypes.contains(t)).findFirst().orElseThrow(() -> new ModelError(
                "--model_type " + swiftType + " is not an embedding model type embtune knows; use " + swiftNames()
                        + ", or leave it out (the type comes from config.json)"));
        if (expected != this)
            throw new ModelError("--model_type " + swiftType + " is a " + expected.modelType + " model, but " + where
                    + " is a " + modelType + " model (config.json model_type)");
    }

    private static String swiftNames() {
        return String.join(", ", Families.ALL.stream().map(f -> f.swiftModelTypes.isEmpty() ? f.modelType : f.swiftModelTypes.get(0)).toList());
    }

    public static String supported() {
        return String.join(", ", Families.ALL.stream().map(f -> f.modelType + " (" + f.examples + ")").toList());
    }

    @Override
    public String toString() {
        return modelType;
    }
}
