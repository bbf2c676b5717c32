package embtune.rerank;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.engine.Devices;
import embtune.engine.Scopes;
import embtune.loss.RerankerOptions;
import embtune.model.Encoder;
import embtune.model.ModelConfig;
import embtune.model.ScoreHead;
import embtune.ModelError;
import embtune.weights.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reranker: scores how well each document answers a query, reading the pair jointly. Loads a
 * cross-encoder ({@code BertForSequenceClassification} / {@code ModernBertForSequenceClassification}
 * with one label: ms-marco-MiniLM, gte-reranker-modernbert) or a generative reranker
 * ({@code Qwen3ForCausalLM}: Qwen3-Reranker), and gives the scores sentence-transformers'
 * CrossEncoder and Qwen3-Reranker's own code give.
 *
 * <pre>
 * var r = Reranker.load("models/ms-marco-MiniLM-L6-v2");
 * r.rank("what is a cat?", "A cat is a small felid.", "Paris is in France.");  // [#0 0.97, #1 0.01]
 * </pre>
 *
 * {@link #logits} are the raw relevance logits the losses train; {@link #scores} their sigmoid
 * (CrossEncoder's default activation for one label; for a generative reranker, the softmax of
 * yes against no).
 */
public final class Reranker implements AutoCloseable {
    public enum Kind { CROSS_ENCODER, GENERATIVE }

    /** Load-time choices; null means the folder's or ms-swift's default. */
    public record Options(String device, Integer maxLength, Integer batchSize, String instruction, RerankerOptions tokens) {
        public static Options defaults() {
            return new Options(null, null, null, null, null);
        }

        public Options device(String d) { return new Options(d, maxLength, batchSize, instruction, tokens); }
        public Options maxLength(Integer n) { return new Options(device, n, batchSize, instruction, tokens); }
        public Options batchSize(Integer n) { return new Options(device, maxLength, n, instruction, tokens); }
        /** Qwen3-Reranker's {@code <Instruct>} line. */
        public Options instruction(String i) { return new Options(device, maxLength, batchSize, i, tokens); }
        /** The answer tokens (GENERATIVE_RERANKER_POSITIVE_TOKEN / _NEGATIVE_TOKEN). */
        public Options tokens(RerankerOptions t) { return new Options(device, maxLength, batchSize, instruction, t); }
    }

    /** A document's place in a ranking: its index in the input, its score and its text. */
    public record Ranked(int index, float score, String document) {
        @Override
        public String toString() {
            return String.format("#%d %.4f", index, score);
        }
    }

    private final Path dir;
    private final ModelConfig config;
    private final Kind kind;
    private final NDManager manager;
    private final Encoder encoder;
    private final ScoreHead head;
    private final RerankInputs inputs;
    private final int batchSize;

    private Reranker(Path dir, ModelConfig config, Kind kind, NDManager manager, Encoder encoder, ScoreHead head, RerankInputs inputs,
                     int batchSize) {
        this.dir = dir;
        this.config = config;
        this.kind = kind;
        this.manager = manager;
        this.encoder = encoder;
        this.head = head;
        this.inputs = inputs;
        this.batchSize = batchSize;
    }

    public static Reranker load(String dir) {
        return load(Path.of(dir), Options.defaults());
    }

    public static Reranker load(Path dir) {
        return load(dir, Options.defaults());
    }

    public static Reranker load(Path dir, Options opts) {
        ModelConfig config = ModelConfig.read(dir);
        JsonNode raw = config.raw();
        String arch = raw.path("architectures").path(0).asText("");
        Kind kind;
        if (arch.endsWith("ForSequenceClassification")) kind = Kind.CROSS_ENCODER;
        else if (config.family().isDecoder() && !config.family().hasVision()) kind = Kind.GENERATIVE;
        else throw new ModelError(dir + ": config.json says " + (arch.isEmpty() ? "model_type " + config.family() : arch) + ", which is not a reranker embtune "
                    + "runs; rerankers are BertForSequenceClassification / ModernBertForSequenceClassification with one label "
                    + "(ms-marco-MiniLM, gte-reranker-modernbert) or Qwen3ForCausalLM (Qwen3-Reranker); XLM-RoBERTa ones (bge-reranker) are not supported yet");
        if (kind == Kind.CROSS_ENCODER) {
            int labels = raw.has("id2label") ? raw.get("id2label").size() : raw.path("num_labels").asInt(1);
            if (labels != 1)
                throw new ModelError(dir + ": a cross-encoder with " + labels + " labels (config.json id2label); a reranker has one");
        }
        Weights weights = Weights.open(dir);
        // CrossEncoder's default cut is the tokenizer's model_max_length; Qwen3-Reranker's code uses 8192
        Integer folderMax = embtune.model.ModelDir.read(dir).tokenizerMaxLength();
        int maxLength = Math.min(opts.maxLength() != null ? opts.maxLength() : kind == Kind.GENERATIVE ? 8192
                : folderMax != null ? folderMax : 512, config.maxPositions());
        RerankerOptions tokens = opts.tokens() != null ? opts.tokens() : RerankerOptions.fromEnvironment();
        RerankInputs in = new RerankInputs(dir, kind == Kind.GENERATIVE, maxLength,
                opts.instruction() != null ? opts.instruction() : RerankInputs.DEFAULT_INSTRUCTION, config.padTokenId());
        NDManager manager = NDManager.newBaseManager(Devices.pick(opts.device()));
        try {
            Encoder encoder = Encoder.create(config);
            ScoreHead head = head(dir, config, kind, encoder, in, weights, tokens);
            Map<String, Parameter> params = parameters(encoder, head);
            List<String> missing = params.keySet().stream().filter(n -> !weights.has(n)).toList();
            if (!missing.isEmpty())
                throw new ModelError(dir + ": weights lack " + missing.size() + " tensors a " + arch + " reranker needs, e.g. "
                        + missing.subList(0, Math.min(3, missing.size())));
            Map<String, ai.djl.ndarray.types.Shape> shapes = new LinkedHashMap<>(encoder.parameterShapes());
            shapes.putAll(head.parameterShapes());
            for (var e : params.entrySet()) {
                var got = new ai.djl.ndarray.types.Shape(weights.info(e.getKey()).shape());
                if (!got.equals(shapes.get(e.getKey())))
                    throw new ModelError(dir + ": tensor '" + e.getKey() + "' has shape " + got + " but config.json implies " + shapes.get(e.getKey()));
                NDArray a = weights.load(e.getKey(), manager);
                NDScope.unregister(a);
                e.getValue().setArray(a);
            }
            encoder.loaded(manager);
            head.loaded(manager);
            return new Reranker(dir, config, kind, manager, encoder, head, in, opts.batchSize() != null ? opts.batchSize() : 32);
        } catch (RuntimeException e) {
            manager.close();
            in.close();
            throw e;
        }
    }

    private static ScoreHead head(Path dir, ModelConfig c, Kind kind, Encoder encoder, RerankInputs in, Weights weights, RerankerOptions tokens) {
        if (kind == Kind.CROSS_ENCODER) return c.family().classifierHead(c, dir.toString());
        long yes = in.tokenId(tokens.positiveToken()), no = in.tokenId(tokens.negativeToken());
        if (yes < 0 || no < 0)
            throw new ModelError(dir + ": the tokenizer has no single token '" + (yes < 0 ? tokens.positiveToken() : tokens.negativeToken())
                    + "' (GENERATIVE_RERANKER_POSITIVE_TOKEN / _NEGATIVE_TOKEN name the answer tokens)");
        boolean tied = c.raw().path("tie_word_embeddings").asBoolean(false) || !weights.has("lm_head.weight");
        return c.family().answerHead(c, encoder, tied, yes, no, dir.toString());
    }

    private static Map<String, Parameter> parameters(Encoder encoder, ScoreHead head) {
        Map<String, Parameter> out = new LinkedHashMap<>(encoder.namedParameters());
        out.putAll(head.namedParameters());
        return out;
    }

    // ---- scoring

    /** Relevance logits of (query, document) for each document, in input order. */
    public float[] logits(String query, List<String> documents) {
        return logits(java.util.Collections.nCopies(documents.size(), query), documents);
    }

    /** Relevance logits of each (queries[i], documents[i]) pair, in input order. */
    public float[] logits(List<String> queries, List<String> documents) {
        float[] out = new float[documents.size()];
        for (int start = 0; start < out.length; start += batchSize) {
            int end = Math.min(out.length, start + batchSize);
            try (NDScope scope = new NDScope(); NDManager step = manager.newSubManager()) {
                scope.suppressNotUsedWarning();
                RerankInputs.Batch b = inputs.encode(queries.subList(start, end), documents.subList(start, end));
                float[] part = forward(b, step).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                System.arraycopy(part, 0, out, start, part.length);
            }
        }
        return out;
    }

    /** Relevance in (0, 1): the sigmoid of each logit. */
    public float[] scores(String query, List<String> documents) {
        return scores(java.util.Collections.nCopies(documents.size(), query), documents);
    }

    /** Relevance in (0, 1) of each (queries[i], documents[i]) pair, batched across queries. */
    public float[] scores(List<String> queries, List<String> documents) {
        float[] s = logits(queries, documents);
        for (int i = 0; i < s.length; i++) s[i] = (float) (1 / (1 + Math.exp(-s[i])));
        return s;
    }

    public float[] scores(String query, String... documents) {
        return scores(query, Arrays.asList(documents));
    }

    /** The documents by score, best first (ties keep input order). */
    public List<Ranked> rank(String query, List<String> documents) {
        float[] s = scores(query, documents);
        List<Ranked> out = new ArrayList<>();
        for (int i = 0; i < s.length; i++) out.add(new Ranked(i, s[i], documents.get(i)));
        out.sort(Comparator.comparingDouble((Ranked r) -> -r.score()));
        return out;
    }

    public List<Ranked> rank(String query, String... documents) {
        return rank(query, Arrays.asList(documents));
    }

    /** Logits [B] for an encoded batch, recorded for autograd when a collector is open. */
    public NDArray forward(RerankInputs.Batch batch, NDManager step) {
        NDList in = batch.toNDList(step, head.wantsTokenTypes());
        NDArray hidden = encoder.forward(in);
        NDArray scores = Scopes.keep(() -> embtune.engine.Cast.toFloat32(head.score(hidden, in.get(1))));
        hidden.close(); // the handle only
        return scores;
    }

    // ---- parts

    /** Every parameter: the encoder's, then the head's (a tied head adds none), by checkpoint name without the wrapper prefix. */
    public Map<String, Parameter> parameters() {
        return parameters(encoder, head);
    }

    /** A parameter's tensor name in the transformers checkpoint (and, after base_model.model., under peft). */
    public String checkpointName(String parameter) {
        return head.namedParameters().containsKey(parameter) ? head.savedName(parameter) : head.encoderPrefix() + parameter;
    }

    /** The inverse of {@link #checkpointName}: a checkpoint tensor's parameter name here. */
    String parameterName(String checkpointName) {
        return checkpointName.startsWith(head.encoderPrefix()) ? checkpointName.substring(head.encoderPrefix().length()) : checkpointName;
    }

    /** The encoder's and the head's modules in one tree, by parameter path (for LoRA's target search). */
    embtune.nn.Module modules() {
        embtune.nn.Module all = new embtune.nn.Module() {};
        encoder.namedModules().forEach((n, m) -> { if (!n.contains(".")) all.child(n, m); });
        head.namedModules().forEach((n, m) -> { if (!n.contains(".")) all.child(n, m); });
        return all;
    }

    public RerankInputs inputs() { return inputs; }
    public Encoder encoder() { return encoder; }
    public ScoreHead head() { return head; }
    public Kind kind() { return kind; }
    public ModelConfig config() { return config; }
    public NDManager manager() { return manager; }
    public Path dir() { return dir; }

    @Override
    public void close() {
        inputs.close();
        manager.close();
    }

    @Override
    public String toString() {
        long n = 0;
        for (var s : encoder.parameterShapes().values()) n += s.size();
        for (var s : head.parameterShapes().values()) n += s.size();
        return String.format("Reranker(%s, %s %s, %,d parameters, max %d tokens)", dir == null ? "?" : dir.getFileName(),
                kind == Kind.GENERATIVE ? "generative" : "cross-encoder", config.family(), n, inputs.maxLength());
    }
}
