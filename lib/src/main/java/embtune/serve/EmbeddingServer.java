package embtune.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.lora.AdapterSet;
import embtune.model.Embedder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import embtune.rerank.Reranker;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An OpenAI-compatible embeddings endpoint over a loaded model, and over LoRA adapters on it chosen
 * per request by the {@code model} field.
 *
 * <pre>
 * POST /v1/embeddings       {"input": "text" | ["a", "b"] | [ids] | [[ids]], "model", "encoding_format", "dimensions"}
 * GET  /v1/models           the base model and every adapter
 * POST /v1/adapters/reload  reads --adapters_dir again (behind the API key like the rest)
 * POST /v1/rerank           {"query", "documents", "top_n", "return_documents"} when started with a reranker
 * GET  /health              200 once the model is loaded
 * </pre>
 * Texts are tokenized once, here, and every request's token rows are embedded together by a
 * {@link DynamicBatcher}, whatever adapter each asks for ({@link AdapterSet} applies each row's own);
 * a full queue answers 503 with Retry-After. Every refusal is OpenAI's error object, and the server
 * keeps serving. Connections are {@link HttpServer}'s: every read has a deadline, one client has at
 * most {@code maxConnectionsPerClient}, and the model's worker never waits on a client.
 */
public final class EmbeddingServer implements AutoCloseable {
    /** How the server listens, batches and times out; {@link #defaults()} then change what you need. */
    public static final class Options implements Cloneable {
        private String host = "127.0.0.1", servedModelName, apiKey;
        private int port = 8000, maxBatchSize = 64, maxQueued = 256, maxInputs = 2048, maxBodyBytes = 8 << 20;
        private long maxWaitMs = 5;
        private int headerTimeoutMs = 5_000, bodyTimeoutMs = 10_000, idleTimeoutMs = 30_000, writeTimeoutMs = 30_000, drainTimeoutMs = 10_000;
        private int maxConnections = 1024, maxConnectionsPerClient = 128;
        private int workers; // 0: auto

        public static Options defaults() {
            return new Options();
        }

        private Options with(java.util.function.Consumer<Options> change) {
            try {
                Options o = (Options) clone();
                change.accept(o);
                return o;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        public Options host(String h) { return with(o -> o.host = h); }
        public Options port(int p) { return with(o -> o.port = p); }
        public Options servedModelName(String n) { return with(o -> o.servedModelName = n); }
        public Options apiKey(String k) { return with(o -> o.apiKey = k); }
        public Options maxBatchSize(int n) { return with(o -> o.maxBatchSize = n); }
        public Options maxWaitMs(long ms) { return with(o -> o.maxWaitMs = ms); }
        public Options maxQueued(int n) { return with(o -> o.maxQueued = n); }
        public Options maxInputs(int n) { return with(o -> o.maxInputs = n); }
        public Options maxBodyBytes(int n) { return with(o -> o.maxBodyBytes = n); }
        /** The request line and headers must arrive within this long of the connection opening (or of their first byte). */
        public Options headerTimeoutMs(int ms) { return with(o -> o.headerTimeoutMs = ms); }
        /** The body must arrive within this long of the headers. */
        public Options bodyTimeoutMs(int ms) { return with(o -> o.bodyTimeoutMs = ms); }
        /** A kept-alive connection may wait this long for its next request. */
        public Options idleTimeoutMs(int ms) { return with(o -> o.idleTimeoutMs = ms); }
        /** An answer the client does not read within this long is cut. */
        public Options writeTimeoutMs(int ms) { return with(o -> o.writeTimeoutMs = ms); }
        /** How long {@link #close} lets the requests under way finish. */
        public Options drainTimeoutMs(int ms) { return with(o -> o.drainTimeoutMs = ms); }
        public Options maxConnections(int n) { return with(o -> o.maxConnections = n); }
        /** Connections one client address may hold open (0: no cap; behind a proxy every client is the proxy). */
        public Options maxConnectionsPerClient(int n) { return with(o -> o.maxConnectionsPerClient = n); }
        /**
         * Forward passes run at once, each on its share of the CPU cores (0: auto, two on a CPU with
         * two cores or more, one on a GPU); see {@link DynamicBatcher}.
         */
        public Options workers(int n) { return with(o -> o.workers = n); }

        public String host() { return host; }
        public int port() { return port; }
        public String servedModelName() { return servedModelName; }
        public String apiKey() { return apiKey; }
        public int maxBatchSize() { return maxBatchSize; }
        public long maxWaitMs() { return maxWaitMs; }
        public int maxQueued() { return maxQueued; }
        public int maxInputs() { return maxInputs; }
        public int maxBodyBytes() { return maxBodyBytes; }
        public int drainTimeoutMs() { return drainTimeoutMs; }
        public int workers() { return workers; }

        HttpServer.Limits limits() {
            return new HttpServer.Limits(headerTimeoutMs, bodyTimeoutMs, idleTimeoutMs, writeTimeoutMs, maxConnections, maxConnectionsPerClient,
                    16 << 10, maxBodyBytes);
        }

        @Override
        public String toString() {
            return "serve " + host + ":" + port + ", batches of " + maxBatchSize + " within " + maxWaitMs + " ms, " + maxQueued + " queued, "
                    + (workers == 0 ? "auto" : String.valueOf(workers)) + " workers; timeouts: headers "
                    + headerTimeoutMs + " ms, body " + bodyTimeoutMs + " ms, idle " + idleTimeoutMs + " ms, drain " + drainTimeoutMs + " ms; "
                    + maxConnections + " connections, " + maxConnectionsPerClient + " per client";
        }
    }

    /** One input row and the adapter that embeds it (null: the base model). */
    private record Row(String adapter, long[] ids) {}

    // trailing bytes after the JSON value are a malformed body, not something to ignore; floats written by
    // Jackson's Schubfach writer (the shortest digits that read back as the same float) instead of the JDK 17
    // Float.toString, which takes most of the time of writing a vector
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Embedder model;
    private final AdapterSet adapters;
    private final Reranker reranker; // null: no /v1/rerank
    private final Options options;
    private final String name;
    private final HttpServer http;
    private final DynamicBatcher<Row> batcher;
    private final long created = System.currentTimeMillis() / 1000;

    private EmbeddingServer(Embedder model, AdapterSet adapters, Reranker reranker, Options o) throws IOException {
        this.model = model;
        this.adapters = adapters;
        this.reranker = reranker;
        this.options = o;
        this.name = o.servedModelName() != null ? o.servedModelName() : model.name();
        int workers = workers(model, o.workers()), cores = Runtime.getRuntime().availableProcessors();
        // each worker's forward passes on its own share of the cores (libtorch keeps the count per thread)
        Runnable share = model.device().isGpu() ? () -> {} : () -> embtune.engine.Torch.intraOpThreads(Math.max(1, cores / workers));
        this.batcher = new DynamicBatcher<>("embeddings", this::embed, o.maxBatchSize(), o.maxWaitMs(), o.maxQueued(), workers, share);
        this.http = new HttpServer(o.host(), o.port(), o.limits(), this::handle, e -> e.body(JSON));
    }

    /**
     * Workers asked for, or for 0: two on a CPU of two cores or more (passes that each use half the
     * cores and overlap one another's gathering and answering), one on a GPU (its passes queue on one
     * stream anyway).
     */
    public static int workers(Embedder model, int asked) {
        if (asked > 0) return asked;
        return model.device().isGpu() ? 1 : Math.min(2, Runtime.getRuntime().availableProcessors());
    }

    /** Starts serving {@code model}; port 0 picks a free one ({@link #address()} says which). */
    public static EmbeddingServer start(Embedder model, Options options) {
        return start(model, null, options);
    }

    /** Starts serving {@code model} and the adapters in {@code adapters} (null: none), each by its name. */
    public static EmbeddingServer start(Embedder model, AdapterSet adapters, Options options) {
        return start(model, adapters, null, options);
    }

    /** Also serves POST /v1/rerank with {@code reranker} (null: none). */
    public static EmbeddingServer start(Embedder model, AdapterSet adapters, Reranker reranker, Options options) {
        try {
            return new EmbeddingServer(model, adapters, reranker, options);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + " (" + e.getMessage() + ")", e);
        }
    }

    /** http://host:port, as clients reach it. */
    public URI address() {
        return URI.create("http://" + options.host() + ":" + http.port());
    }

    public String modelName() {
        return name;
    }

    private HttpServer.Response handle(HttpServer.Request x) {
        String path = x.path(), method = x.method();
        if (path.equals("/health")) {
            requireMethod(method, "GET");
            return HttpServer.Response.json(200, "{\"status\":\"ok\"}".getBytes());
        }
        authorize(x);
        return switch (path) {
            case "/v1/embeddings" -> {
                requireMethod(method, "POST");
                yield HttpServer.Response.json(200, embeddings(x.body()));
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                yield HttpServer.Response.json(200, models());
            }
            case "/v1/adapters/reload" -> {
                requireMethod(method, "POST");
                yield HttpServer.Response.json(200, reload());
            }
            case "/v1/rerank" -> {
                requireMethod(method, "POST");
                yield HttpServer.Response.json(200, rerank(x.body()));
            }
            default -> throw new ApiError(404, "no route " + method + " " + path + "; this server has POST /v1/embeddings, "
                    + "GET /v1/models, POST /v1/adapters/reload" + (reranker != null ? ", POST /v1/rerank" : "") + " and GET /health",
                    "invalid_request_error", null, "not_found");
        };
    }

    private static void requireMethod(String got, String want) {
        if (!got.equals(want)) throw new ApiError(405, "use " + want + ", not " + got, "invalid_request_error", null, "method_not_allowed");
    }

    private void authorize(HttpServer.Request x) {
        if (options.apiKey() == null) return;
        String auth = x.header("Authorization");
        // constant-time: how long a comparison takes must not tell how much of a guess was right
        boolean ok = auth != null && java.security.MessageDigest.isEqual(auth.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                ("Bearer " + options.apiKey()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (!ok)
            throw new ApiError(401, auth == null ? "no API key: send Authorization: Bearer KEY" : "incorrect API key",
                    "invalid_request_error", null, "invalid_api_key");
    }

    private static JsonNode parseBody(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw ApiError.invalid(null, "the body is not one JSON value: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /**
     * One rerank request: its pairs go through the reranker in batch_size chunks, one request at a
     * time (the reranker's forward passes are not shared between threads).
     */
    private byte[] rerank(byte[] body) {
        if (reranker == null)
            throw new ApiError(404, "this server has no reranker; start it with serve --reranker R", "invalid_request_error", null, "not_found");
        RerankRequest r = RerankRequest.parse(parseBody(body), options.maxInputs());
        try {
            synchronized (reranker) {
                return JSON.writeValueAsBytes(r.answer(reranker, reranker.dir().getFileName().toString(), JSON));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] embeddings(byte[] body) {
        JsonNode root = parseBody(body);
        EmbeddingRequest r = EmbeddingRequest.parse(root, options.maxInputs());
        String adapter = adapterFor(r.model());
        int width = model.dimension(), max = model.tokenizer().maxLength();
        if (r.dimensions() != null && r.dimensions() > width)
            throw ApiError.invalid("dimensions", "'dimensions' " + r.dimensions() + " is more than the model's " + width);
        // token rows: the texts tokenized once here (truncated as embed would), or the ids the client sent
        List<Row> rows = new ArrayList<>();
        if (r.texts() != null) {
            var inputs = model.inputs(); // GME's: the text inside its prompt (taken verbatim: no images over this API)
            for (int i = 0; i < r.texts().size(); i++) {
                String text = r.texts().get(i);
                int n = r.truncate() ? 0 : inputs.textLength(text);
                if (n > max)
                    throw new ApiError(400, "input[" + i + "] has " + n + " tokens; the model takes " + max + " (send \"truncate\": true to cut it)",
                            "invalid_request_error", "input", "context_length_exceeded");
                rows.add(new Row(adapter, inputs.textIds(text)));
            }
        } else {
            long vocab = model.encoder().config().vocabSize();
            for (int i = 0; i < r.tokens().size(); i++) {
                long[] ids = r.tokens().get(i);
                for (long id : ids)
                    if (id >= vocab) throw ApiError.invalid("input", "input[" + i + "] holds token id " + id + "; the vocabulary has " + vocab);
                if (ids.length > max && !r.truncate())
                    throw new ApiError(400, "input[" + i + "] has " + ids.length + " tokens; the model takes " + max,
                            "invalid_request_error", "input", "context_length_exceeded");
                rows.add(new Row(adapter, ids.length > max ? java.util.Arrays.copyOf(ids, max) : ids));
            }
        }
        long usage = 0;
        for (Row row : rows) usage += row.ids().length;
        CompletableFuture<float[][]> pending = batcher.offer(rows);
        if (pending == null && batcher.closing())
            throw new ApiError(503, "the server is shutting down; send the request to another instance", "server_error", null, "shutting_down");
        if (pending == null)
            throw new ApiError(503, "the server is busy (" + options.maxQueued() + " requests queued); retry shortly", "server_error", null, "overloaded");
        float[][] vectors;
        try {
            vectors = pending.get(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "the server is shutting down", "server_error", null, "shutting_down");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiError refused) throw refused;
            throw new ApiError(500, "embedding failed: " + e.getCause(), "server_error", null, null);
        } catch (TimeoutException e) {
            throw new ApiError(500, "embedding failed: " + (e.getCause() != null ? e.getCause() : e), "server_error", null, null);
        }
        return response(vectors, r, r.model() != null ? r.model() : name, usage);
    }

    /** The adapter a request's {@code model} names: null for the base (or no model given); unknown is OpenAI's 404. */
    private String adapterFor(String requested) {
        if (requested == null || requested.equals(name)) return null;
        if (adapters != null && adapters.has(requested)) return requested;
        throw new ApiError(404, "the model '" + requested + "' is not served here; this server has " + served(),
                "invalid_request_error", "model", "model_not_found");
    }

    private List<String> served() {
        List<String> all = new ArrayList<>(List.of(name));
        if (adapters != null) all.addAll(adapters.names());
        return all;
    }

    /** One batch of rows from many requests: the base alone, or each row through its own adapter in the same forward passes. */
    /** Runs before each forward pass; tests hold a pass open with it (a request queued, unanswered). */
    volatile Runnable beforePass = () -> {};

    private float[][] embed(List<Row> rows) {
        beforePass.run();
        List<long[]> ids = rows.stream().map(Row::ids).toList();
        if (adapters == null || rows.stream().allMatch(r -> r.adapter() == null)) return model.embedTokens(ids);
        return model.embedTokens(ids, (chunk, forward) -> {
            List<String> perRow = new ArrayList<>(chunk.length);
            for (int i : chunk) perRow.add(rows.get(i).adapter());
            return adapters.route(perRow, forward);
        });
    }

    /** {"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}. */
    private byte[] response(float[][] vectors, EmbeddingRequest r, String served, long usage) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (int i = 0; i < vectors.length; i++) {
                float[] v = r.dimensions() == null ? vectors[i] : truncated(vectors[i], r.dimensions());
                g.writeStartObject();
                g.writeStringField("object", "embedding");
                g.writeNumberField("index", i);
                g.writeFieldName("embedding");
                if (r.base64()) g.writeString(base64(v));
                else {
                    g.writeStartArray();
                    for (float f : v) g.writeNumber(f);
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("model", served);
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", usage);
            g.writeNumberField("total_tokens", usage);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e); // writing to memory
        }
        return out.toByteArray();
    }

    /** Matryoshka: the first {@code dims} values, L2-normalised again (as OpenAI's dimensions parameter does). */
    static float[] truncated(float[] v, int dims) {
        float[] out = java.util.Arrays.copyOf(v, dims);
        double norm = 0;
        for (float f : out) norm += f * f;
        norm = Math.sqrt(norm);
        if (norm > 0) for (int i = 0; i < dims; i++) out[i] /= (float) norm;
        return out;
    }

    /** Little-endian float32 bytes in base64, as OpenAI sends encoding_format=base64. */
    static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** The base model, then each adapter with the base as its parent (as vLLM lists LoRA modules). */
    private byte[] models() {
        var root = JSON.createObjectNode().put("object", "list");
        var data = root.putArray("data");
        data.addObject().put("id", name).put("object", "model").put("created", created).put("owned_by", "embtune");
        if (adapters != null)
            for (String a : adapters.names())
                data.addObject().put("id", a).put("object", "model").put("created", created).put("owned_by", "embtune").put("parent", name);
        return bytes(root);
    }

    private byte[] reload() {
        if (adapters == null || adapters.watched() == null)
            throw new ApiError(400, "this server has no --adapters_dir to reload", "invalid_request_error", null, "no_adapters_dir");
        AdapterSet.Report r = adapters.reload();
        if (!r.skipped().isEmpty()) embtune.Log.note("adapters skipped on reload: " + r.skipped());
        ObjectNode root = JSON.createObjectNode();
        root.putPOJO("loaded", r.loaded());
        root.putPOJO("removed", r.removed());
        root.putPOJO("skipped", r.skipped());
        root.putPOJO("adapters", adapters.names());
        return bytes(root);
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Requests taken and waiting for their vectors (for tests). */
    int pending() {
        return batcher.pending();
    }

    /** Batches run and inputs embedded so far. */
    public long[] counts() {
        return batcher.counts();
    }

    /**
     * The drain (what SIGTERM does): requests that arrive are answered 503 (shutting down), idle
     * connections close, and those under way finish, for at most the drain timeout; then every
     * connection closes, answered or not.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.drainTimeoutMs());
        http.drain();
        batcher.close(deadline); // finishes the queued jobs (until the deadline), then stops its worker
        while (http.busy() && System.nanoTime() < deadline) { // their answers are being written
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.close();
    }
}
