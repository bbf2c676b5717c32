package embtune.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The architectures embtune can run, by config.json's {@code model_type}, with the pooling each
 * family uses when the folder has no sentence-transformers files.
 */
public enum Family {
    QWEN3("qwen3", Pooling.Mode.LAST_TOKEN, "Qwen3-Embedding 0.6B/4B/8B"),
    QWEN2("qwen2", Pooling.Mode.LAST_TOKEN, "gte-Qwen2"),
    BERT("bert", Pooling.Mode.MEAN, "MiniLM, bge, e5 and other BERT encoders"),
    MODERNBERT("modernbert", Pooling.Mode.CLS, "gte-modernbert"),
    QWEN2_VL("qwen2_vl", Pooling.Mode.LAST_TOKEN, "GME gme-Qwen2-VL-2B/7B-Instruct: text and images");

    private final String modelType;
    private final Pooling.Mode defaultPooling;
    private final String examples;

    Family(String modelType, Pooling.Mode defaultPooling, String examples) {
        this.modelType = modelType;
        this.defaultPooling = defaultPooling;
        this.examples = examples;
    }

    public String modelType() { return modelType; }
    public Pooling.Mode defaultPooling() { return defaultPooling; }

    /** Decoder families pool the last token, which must be the appended {@code <|endoftext|>}. */
    public boolean isDecoder() {
        return this == QWEN3 || this == QWEN2 || this == QWEN2_VL;
    }

    /** Families with a vision tower, whose inputs may hold images. */
    public boolean hasVision() {
        return this == QWEN2_VL;
    }

    public static Family of(String modelType, String where) {
        for (Family f : values()) if (f.modelType.equals(modelType)) return f;
        throw new ModelError(where + ": unsupported architecture model_type '" + modelType + "'; supported: " + supported());
    }

    /**
     * Checks ms-swift's {@code --model_type} against this family: qwen3_emb is a Qwen3 model,
     * qwen2_gte a Qwen2 one, modern_bert_gte a ModernBERT one; the GME types are multimodal.
     */
    public void requireSwiftModelType(String swiftType, String where) {
        if (swiftType == null) return;
        String t = swiftType.toLowerCase(java.util.Locale.ROOT);
        if (t.startsWith("qwen3_vl") || t.startsWith("qwen2_5_vl"))
            throw new ModelError("--model_type " + swiftType + " is not supported yet; the multimodal family embtune runs is qwen2_gme (GME, Qwen2-VL)");
        Family expected = switch (t) {
            case "qwen3_emb", "qwen3" -> QWEN3;
            case "qwen2_gte", "qwen2" -> QWEN2;
            case "modern_bert_gte", "modern_bert", "modernbert" -> MODERNBERT;
            case "bert" -> BERT;
            case "qwen2_gme", "qwen2_vl" -> QWEN2_VL;
            default -> throw new ModelError("--model_type " + swiftType + " is not an embedding model type embtune knows; use qwen3_emb, "
                    + "qwen2_gte, modern_bert_gte, qwen2_gme or bert, or leave it out (the type comes from config.json)");
        };
        if (expected != this)
            throw new ModelError("--model_type " + swiftType + " is a " + expected.modelType + " model, but " + where
                    + " is a " + modelType + " model (config.json model_type)");
    }

    public static String supported() {
        return Arrays.stream(values()).map(f -> f.modelType + " (" + f.examples + ")").collect(Collectors.joining(", "));
    }
}
