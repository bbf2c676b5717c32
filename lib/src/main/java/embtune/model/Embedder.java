package embtune.model;

import embtune.ModelError;
import embtune.Log;
import embtune.engine.Devices;
import embtune.engine.Precision;
import embtune.weights.Weights;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A text embedding model: tokenizer + encoder + pooling, loaded from a Hugging Face /
 * sentence-transformers folder, giving the same vectors sentence-transformers gives.
 *
 * <pre>
 * var model = Embedder.load("models/all-MiniLM-L6-v2");
 * float[][] v = model.embed("A man plays guitar.", "Someone strums a guitar.");
 * model.similarity("A man plays guitar.", "Someone strums a guitar.");   // 0.8...
 * </pre>
 */
public final class Embedder implements AutoCloseable {
    /** Load-time choices; null means "what the model folder says". */
    public record Options(String device, Integer maxLength, Integer batchSize, Pooling pooling,
                          TextTokenizer.Side paddingSide, String queryPrompt) {
        public static Options defaults() {
            return new Options(null, null, null, null, null, null);
        }

        public Options device(String d) { return new Options(d, maxLength, batchSize, pooling, paddingSide, queryPrompt); }
        public Options maxLength(Integer n) { return new Options(device, n, batchSize, pooling, paddingSide, queryPrompt); }
        public Options batchSize(Integer n) { return new Options(device, maxLength, n, pooling, paddingSide, queryPrompt); }
        public Options pooling(Pooling p) { return new Options(device, maxLength, batchSize, p, paddingSide, queryPrompt); }
        public Options paddingSide(TextTokenizer.Side s) { return new Options(device, maxLength, batchSize, pooling, s, queryPrompt); }
        public Options queryPrompt(String p) { return new Options(device, maxLength, batchSize, pooling, paddingSide, p); }
    }

    private final ModelDir dir;
    private final NDManager manager;
    private final Encoder encoder;
    private final TextTokenizer tokenizer;
    private final Pooling pooling;
    private final int batchSize;
    private final String queryPrompt;
    private Precision precision = Precision.FP32;
    private ModelInputs inputs; // the family's: texts (and images) to encoder inputs

    private Embedder(ModelDir dir, NDManager manager, Encoder encoder, TextTokenizer tokenizer, Pooling pooling,
                     int batchSize, String queryPrompt) {
        this.dir = dir;
        this.manager = manager;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.batchSize = batchSize;
        this.queryPrompt = queryPrompt;
    }

    public static Embedder load(String dir) {
        return load(Path.of(dir), Options.defaults());
    }

    public static Embedder load(Path dir) {
        return load(dir, Options.defaults());
    }

    public static Embedder load(Path dir, Options opts) {
        ModelDir md = ModelDir.read(dir);
        Weights weights = Weights.open(dir);
        Device device = Devices.pick(opts.device());
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Encoder encoder = Encoder.create(md.config());
            loadWeights(encoder, weights, manager, dir);
            int maxLength = Math.min(opts.maxLength() != null ? opts.maxLength() : md.maxLength(), md.config().maxPositions());
            if (opts.maxLength() != null && opts.maxLength() > maxLength)
                Log.note("max_length " + opts.maxLength() + " is more than " + dir.getFileName() + " takes ("
                        + md.config().maxPositions() + " positions); texts are cut at " + maxLength + " tokens");
            Family family = md.config().family();
            TextTokenizer.Side side = opts.paddingSide() != null ? opts.paddingSide() : family.paddingSide(md.paddingSide());
            TextTokenizer tok = TextTokenizer.load(dir, maxLength, side,
                    family.isDecoder(), md.config().padTokenId() == null ? 0 : md.config().padTokenId());
            String prompt = opts.queryPrompt() != null ? opts.queryPrompt() : md.prompts().getOrDefault("query", "");
            Embedder e = new Embedder(md, manager, encoder, tok, opts.pooling() != null ? opts.pooling() : md.pooling(),
                    opts.batchSize() != null ? opts.batchSize() : 32, prompt);
            e.inputs = family.inputs(tok, dir, md.config());
            return e;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A model of the given shape with random weights (seeded) and no tokenizer: each text becomes
     * {@code tokens} random token ids. For benchmarks of real model sizes without downloading them.
     */
    public static Embedder random(ModelConfig config, Pooling pooling, String device, long seed, int tokens) {
        NDManager manager = NDManager.newBaseManager(Devices.pick(device));
        Encoder encoder = Encoder.create(config);
        embtune.nn.RandomInit.apply(encoder, manager, seed); // also creates the layers' constants
        Embedder e = new Embedder(null, manager, encoder, null, pooling, 32, "");
        e.inputs = new RandomInputs(config.vocabSize(), tokens, seed);
        return e;
    }

    /** Token ids and attention mask for a batch of texts (the tokenizer's, padded to the longest). */
    public TextTokenizer.Batch encode(List<String> texts) {
        return inputs.encode(texts);
    }

    /** Whether this model embeds images as well as text (a vision tower: GME / Qwen2-VL). */
    public boolean hasVision() {
        return encoder.config().family().hasVision();
    }

    /** The family's inputs: how a text (with images, for GME) becomes what the encoder reads. */
    public ModelInputs inputs() {
        return inputs;
    }

    public Family family() {
        return encoder.config().family();
    }

    // task heads above the encoder (pooler, LM and classifier heads) and non-learned buffers: not embedding weights
    private static final java.util.regex.Pattern HEADS_AND_BUFFERS = java.util.regex.Pattern.compile(
            "^(pooler|lm_head|cls|classifier|score|head|decoder)\\.|(rotary_emb\\.inv_freq|position_ids)$");
    private static final java.util.regex.Pattern LAYER_INDEX = java.util.regex.Pattern.compile("(?:^|\\.)layers?\\.(\\d+)\\.");

    /**
     * Fills every encoder parameter from the checkpoint, checking names and shapes: a tensor the
     * architecture needs and the checkpoint lacks, or one the checkpoint holds and the architecture
     * would ignore (a config with fewer layers than the weights), is an error naming them.
     */
    static void loadWeights(Encoder encoder, Weights weights, NDManager manager, Path dir) {
        Map<String, Shape> shapes = encoder.parameterShapes();
        List<String> missing = new ArrayList<>();
        for (String name : shapes.keySet()) if (!weights.has(name)) missing.add(name);
        if (!missing.isEmpty())
            throw new ModelError(dir + ": weights lack " + missing.size() + " tensors the " + encoder.config().family().modelType()
                    + " config needs, e.g. " + missing.subList(0, Math.min(3, missing.size())));
        List<String> unused = new ArrayList<>();
        int deepest = -1;
        for (String name : weights.names()) {
            if (shapes.containsKey(name) || HEADS_AND_BUFFERS.matcher(name).find()) continue;
            unused.add(name);
            var m = LAYER_INDEX.matcher(name);
            if (m.find()) deepest = Math.max(deepest, Integer.parseInt(m.group(1)));
        }
        if (deepest >= encoder.config().layers())
            throw new ModelError(dir + ": config.json says num_hidden_layers " + encoder.config().layers() + ", but the weights hold "
                    + (deepest + 1) + " layers; fix the config (running fewer layers would ignore the rest)");
        if (!unused.isEmpty())
            throw new ModelError(dir + ": " + unused.size() + " tensors are not part of the " + encoder.config().family().modelType()
                    + " architecture config.json describes, e.g. " + unused.subList(0, Math.min(3, unused.size())));
        for (Map.Entry<String, Parameter> e : encoder.namedParameters().entrySet()) {
            Shape want = shapes.get(e.getKey());
            Shape got = new Shape(weights.info(e.getKey()).shape());
            if (!want.equals(got))
                throw new ModelError(dir + ": tensor '" + e.getKey() + "' has shape " + got + " but config.json implies " + want);
            NDArray a = weights.load(e.getKey(), manager);
            NDScope.unregister(a);
            e.getValue().setArray(a);
        }
        encoder.loaded(manager);
    }

    // ---- inference --------------------------------------------------------------------------

    public float[][] embed(String... texts) {
        return embed(Arrays.asList(texts));
    }

    /** One L2-normalised (if the model normalises) vector per text, in input order. */
    public float[][] embed(List<String> texts) {
        // sorted by tokens, not characters: batches then pad far less (bench/README.md), for a second tokenization
        java.util.function.ToIntFunction<String> length = tokenizer == null ? String::length : t -> tokenizer.ids(t).length;
        return longestFirst(texts, length, chunk -> embedBatch(encode(chunk)));
    }

    /**
     * One vector per row of token ids (as a client that tokenized itself sends them), in input
     * order; rows are taken as given, so they must fit {@code tokenizer().maxLength()}.
     */
    public float[][] embedTokens(List<long[]> rows) {
        return longestFirst(rows, r -> r.length, chunk -> embedBatch(tokenizer.pad(chunk.toArray(long[][]::new))));
    }

    /**
     * As {@link #embedTokens(List)}, each chunk's forward pass run through {@code around}, given the
     * chunk's rows as indices into {@code rows}: per-row state such as which LoRA adapter serves a row
     * (embtune.lora.AdapterSet#route) is set there, for that pass only.
     */
    public float[][] embedTokens(List<long[]> rows, java.util.function.BiFunction<int[], java.util.function.Supplier<float[][]>, float[][]> around) {
        List<Integer> indices = java.util.stream.IntStream.range(0, rows.size()).boxed().toList();
        return longestFirst(indices, i -> rows.get(i).length, chunk -> around.apply(chunk.stream().mapToInt(Integer::intValue).toArray(),
                () -> embedBatch(tokenizer.pad(chunk.stream().map(rows::get).toArray(long[][]::new)))));
    }

    /**
     * Items in chunks of batchSize, longest first like sentence-transformers (a batch of similar
     * lengths pads less), with the vectors put back in input order.
     */
    private <T> float[][] longestFirst(List<T> items, java.util.function.ToIntFunction<T> length,
                                       java.util.function.Function<List<T>, float[][]> embedChunk) {
        float[][] out = new float[items.size()][];
        Integer[] order = new Integer[items.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -length.applyAsInt(items.get(i))));
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            List<T> chunk = new ArrayList<>();
            for (int k = start; k < end; k++) chunk.add(items.get(order[k]));
            float[][] vectors = embedChunk.apply(chunk);
            for (int k = start; k < end; k++) out[order[k]] = vectors[k - start];
        }
        return out;
    }

    /** Queries get the model's query prompt (e.g. Qwen3-Embedding's "Instruct: ...\nQuery:"). */
    public float[][] embedQueries(List<String> queries) {
        if (queryPrompt.isEmpty()) return embed(queries);
        return embed(queries.stream().map(q -> queryPrompt + q).toList());
    }

    /**
     * A pass over at most this many tokens (one text, or a few short ones) runs on the calling thread
     * alone: its ops are too small to gain from splitting, and each split op waits at a barrier for
     * every intra-op thread, which a busy CPU may not schedule for milliseconds (bench/README.md).
     */
    static final int SMALL_PASS_TOKENS = 128;
    /** The intra-op threads a thread had before a small pass took it down to one; back for its next large pass. */
    private static final ThreadLocal<Integer> THREADS_BEFORE_SMALL = new ThreadLocal<>();

    /**
     * Inference passes run outside libtorch (ONNX Runtime's, from embtune.onnx): given a padded batch, its
     * vectors, or null to leave that pass to libtorch. Training never goes through it.
     */
    public interface Passes extends AutoCloseable {
        float[][] embed(TextTokenizer.Batch batch);

        @Override
        void close();
    }

    private Passes passes;

    /** Hands inference passes to {@code p} where it takes them (null: libtorch runs all); closed with this model, or by a new {@link #precision}. */
    public Embedder passes(Passes p) {
        if (passes != null && passes != p) passes.close();
        passes = p;
        return this;
    }

    public Passes passes() {
        return passes;
    }

    private float[][] embedBatch(TextTokenizer.Batch batch) {
        if (passes != null && batch.vision() == null) {
            float[][] v = passes.embed(batch);
            if (v != null) return v;
        }
        threadsFor((long) batch.size() * batch.length());
        try (NDScope scope = new NDScope(); NDManager step = manager.newSubManager()) {
            scope.suppressNotUsedWarning();
            return rows(forward(batch, step).toFloatArray(), batch.size());
        }
    }

    /** libtorch keeps intra-op threads per calling thread, so this sets this thread's, switching only on a change of size. */
    private static void threadsFor(long tokens) {
        Integer before = THREADS_BEFORE_SMALL.get();
        if (tokens <= SMALL_PASS_TOKENS) {
            int now = embtune.engine.Torch.intraOpThreads();
            if (before == null && now > 1) {
                THREADS_BEFORE_SMALL.set(now);
                embtune.engine.Torch.intraOpThreads(1); // resetting libtorch's pools costs a millisecond: once per run of small passes
            }
        } else if (before != null) {
            THREADS_BEFORE_SMALL.remove();
            embtune.engine.Torch.intraOpThreads(before);
        }
    }

    /** Token embeddings [B, T, D] before pooling, for inspection and tests. */
    public float[][][] tokenEmbeddings(List<String> texts) {
        try (NDScope scope = new NDScope(); NDManager step = manager.newSubManager()) {
            scope.suppressNotUsedWarning();
            NDList in = encode(texts).toNDList(step);
            NDArray h = encoder.forward(in);
            long[] s = h.getShape().getShape();
            float[] flat = h.toFloatArray();
            float[][][] out = new float[(int) s[0]][(int) s[1]][(int) s[2]];
            for (int b = 0, k = 0; b < s[0]; b++)
                for (int t = 0; t < s[1]; t++)
                    for (int d = 0; d < s[2]; d++) out[b][t][d] = flat[k++];
            return out;
        }
    }

    /** Pooled embeddings [B, D] for an encoded batch, recorded for autograd when a collector is open. */
    public NDArray forward(TextTokenizer.Batch batch, NDManager step) {
        return forward(batch, step, null);
    }

    /** As above, the dropout masks drawn from {@code dropoutSeed} part by part (see {@link Encoder#hidden(NDList, Long)}). */
    public NDArray forward(TextTokenizer.Batch batch, NDManager step, Long dropoutSeed) {
        NDList in = batch.toNDList(step);
        NDArray hidden = encoder.hidden(in, dropoutSeed);
        NDArray pooled = embtune.engine.Scopes.keep(() -> pool(hidden, in.get(1)));
        hidden.close(); // the handle only: a [B, T, D] array nothing needs once pooled (unless autograd saved it)
        return pooled;
    }

    /**
     * The last layer's output [B, T, D] -> one float32 vector per text, through the encoder's final norm (a
     * per-position op: with CLS or last-token pooling it runs on the pooled positions only, see {@link Pooling#apply});
     * float16 tokens are widened after the norm, inside the graph.
     */
    public NDArray pool(NDArray hidden, NDArray attentionMask) {
        return pooling.apply(hidden, attentionMask, x -> embtune.engine.Cast.toFloat32(encoder.finish(x)));
    }

    /** Sets the compute precision of forward passes (weights stay float32); see {@link Precision}. */
    public Embedder precision(Precision p) {
        passes(null); // passes run elsewhere were made for the old precision
        encoder.computeIn(p.computeType());
        this.precision = p;
        return inferenceOnly ? inferenceOnly() : this; // copies in the new compute dtype
    }

    public Precision precision() {
        return precision;
    }

    /** Packed copies past this are not made by {@link #inferenceOnly()}: they take memory beside the weights. */
    static final long PACK_AT_MOST_BYTES = 1L << 30;
    private boolean inferenceOnly;

    /**
     * Declares that this model only embeds from now on (embed, eval, serve): on a CPU, in float32 or bf16,
     * linear layers keep a copy of their weights reordered for oneDNN (bfloat16 under bf16), which runs
     * float32 passes of a few texts up to twice as fast (MKL's sgemm packs the whole weight on every call) and
     * saves bf16 passes the weight's cast on every call (bench/README.md). The copies take memory beside the weights (as much again in float32, half
     * in bf16), so none is made past 1 GiB; a later {@link #precision} makes them again, training drops them.
     */
    public Embedder inferenceOnly() {
        inferenceOnly = true;
        boolean bf16 = precision.computeType() == ai.djl.ndarray.types.DataType.BFLOAT16;
        if (device().isGpu() || !(bf16 || precision.computeType() == ai.djl.ndarray.types.DataType.FLOAT32)) return this;
        long bytes = 0;
        for (var m : encoder.namedModules().values())
            if (m instanceof embtune.nn.Linear l) bytes += embtune.nn.Linear.packedBytes(l.in * l.out, bf16);
        if (bytes > PACK_AT_MOST_BYTES) {
            embtune.Log.note(String.format("linear weights of %.1f GiB as packed: not copied for oneDNN (at most 1 GiB)", bytes / (double) (1L << 30)));
            return this;
        }
        encoder.packForInference();
        return this;
    }

    /** Cosine similarity of two texts. */
    public float similarity(String a, String b) {
        float[][] v = embed(a, b);
        return cosine(v[0], v[1]);
    }

    public static float cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return (float) (dot / Math.sqrt(na * nb));
    }

    static float[][] rows(float[] flat, int n) {
        int d = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    // ---- accessors ---------------------------------------------------------------------------

    public Encoder encoder() { return encoder; }
    public TextTokenizer tokenizer() { return tokenizer; }
    public Pooling pooling() { return pooling; }
    public ModelDir dir() { return dir; }
    public NDManager manager() { return manager; }
    public Device device() { return manager.getDevice(); }
    public int dimension() { return encoder.config().hiddenSize(); }
    /** The model folder's name (all-MiniLM-L6-v2, checkpoint-40, ...), or "random" for a model without one. */
    public String name() { return dir == null ? "random" : String.valueOf(dir.path().toAbsolutePath().normalize().getFileName()); }
    public String queryPrompt() { return queryPrompt; }

    /** Writes a folder that transformers and sentence-transformers load unchanged (atomic). */
    public void save(Path out, boolean overwrite) {
        ModelSaver.save(this, out, overwrite);
    }

    @Override
    public void close() {
        if (passes != null) passes.close();
        if (tokenizer != null) tokenizer.close();
        manager.close();
    }

    @Override
    public String toString() {
        long params = 0;
        for (Shape s : encoder.parameterShapes().values()) params += s.size();
        return String.format("Embedder %s: %s, %,d parameters, %d-d, pooling %s, max %d tokens, %s",
                dir == null ? "(random weights)" : dir.path().getFileName(), encoder.config(), params, dimension(), pooling,
                tokenizer == null ? 0 : tokenizer.maxLength(), device()) + (passes == null ? "" : ", " + passes);
    }
}
