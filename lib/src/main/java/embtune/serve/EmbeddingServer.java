package embtune.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import embtune.model.Embedder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An OpenAI-compatible embeddings endpoint over a loaded model, on the JDK's own HTTP server
 * ({@code com.sun.net.httpserver}: no dependency, and HTTP parsing is not ours to write).
 *
 * <pre>
 * POST /v1/embeddings   {"input": "text" | ["a", "b"] | [ids] | [[ids]], "model", "encoding_format", "dimensions"}
 * GET  /v1/models       the one model served
 * GET  /health          200 once the model is loaded
 * </pre>
 * Texts are tokenized once, here, and every request's token rows are embedded together by a
 * {@link DynamicBatcher}; a full queue answers 503 with
 * Retry-After. Every refusal is OpenAI's error object with a 4xx status, and the server keeps serving.
 */
public final class EmbeddingServer implements AutoCloseable {
    /** How the server listens and batches; {@link #defaults()} then change what you need. */
    public record Options(String host, int port, String servedModelName, String apiKey, int maxBatchSize, long maxWaitMs,
                          int maxQueued, int maxInputs, int maxBodyBytes, int threads) {
        public static Options defaults() {
            return new Options("127.0.0.1", 8000, null, null, 64, 5, 256, 2048, 8 << 20, 16);
        }

        public Options host(String h) { return new Options(h, port, servedModelName, apiKey, maxBatchSize, maxWaitMs, maxQueued, maxInputs, maxBodyBytes, threads); }
        public Options port(int p) { return new Options(host, p, servedModelName, apiKey, maxBatchSize, maxWaitMs, maxQueued, maxInputs, maxBodyBytes, threads); }
        public Options servedModelName(String n) { return new Options(host, port, n, apiKey, maxBatchSize, maxWaitMs, maxQueued, maxInputs, maxBodyBytes, threads); }
        public Options apiKey(String k) { return new Options(host, port, servedModelName, k, maxBatchSize, maxWaitMs, maxQueued, maxInputs, maxBodyBytes, threads); }
        public Options maxBatchSize(int n) { return new Options(host, port, servedModelName, apiKey, n, maxWaitMs, maxQueued, maxInputs, maxBodyBytes, threads); }
        public Options maxWaitMs(long ms) { return new Options(host, port, servedModelName, apiKey, maxBatchSize, ms, maxQueued, maxInputs, maxBodyBytes, threads); }
        public Options maxQueued(int n) { return new Options(host, port, servedModelName, apiKey, maxBatchSize, maxWaitMs, n, maxInputs, maxBodyBytes, threads); }
        public Options maxBodyBytes(int n) { return new Options(host, port, servedModelName, apiKey, maxBatchSize, maxWaitMs, maxQueued, maxInputs, n, threads); }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Embedder model;
    private final Options options;
    private final String name;
    private final HttpServer http;
    private final ExecutorService pool;
    private final DynamicBatcher<long[]> batcher;
    private final long created = System.currentTimeMillis() / 1000;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean stopping;

    private EmbeddingServer(Embedder model, Options o) throws IOException {
        this.model = model;
        this.options = o;
        this.name = o.servedModelName() != null ? o.servedModelName() : model.name();
        this.batcher = new DynamicBatcher<>("embeddings", model::embedTokens, o.maxBatchSize(), o.maxWaitMs(), o.maxQueued());
        this.http = HttpServer.create(new InetSocketAddress(o.host(), o.port()), 128);
        this.pool = Executors.newFixedThreadPool(o.threads());
        http.setExecutor(pool);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Starts serving {@code model}; port 0 picks a free one ({@link #address()} says which). */
    public static EmbeddingServer start(Embedder model, Options options) {
        try {
            return new EmbeddingServer(model, options);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + " (" + e.getMessage() + ")", e);
        }
    }

    /** http://host:port, as clients reach it. */
    public URI address() {
        return URI.create("http://" + options.host() + ":" + http.getAddress().getPort());
    }

    public String modelName() {
        return name;
    }

    private void handle(HttpExchange x) throws IOException {
        inFlight.incrementAndGet();
        try (x) {
            String path = x.getRequestURI().getPath(), method = x.getRequestMethod();
            try {
                if (path.equals("/health")) {
                    requireMethod(method, "GET");
                    send(x, 200, "{\"status\":\"ok\"}".getBytes());
                    return;
                }
                if (stopping) throw new ApiError(503, "the server is stopping", "server_error", null, "shutting_down");
                authorize(x);
                switch (path) {
                    case "/v1/embeddings" -> {
                        requireMethod(method, "POST");
                        send(x, 200, embeddings(readBody(x)));
                    }
                    case "/v1/models" -> {
                        requireMethod(method, "GET");
                        send(x, 200, models());
                    }
                    default -> throw new ApiError(404, "no route " + method + " " + path + "; this server has POST /v1/embeddings, "
                            + "GET /v1/models and GET /health", "invalid_request_error", null, "not_found");
                }
            } catch (ApiError e) {
                if (e.status == 503) x.getResponseHeaders().add("Retry-After", "1");
                if (e.status == 401) x.getResponseHeaders().add("WWW-Authenticate", "Bearer");
                send(x, e.status, e.body(JSON));
            } catch (RuntimeException e) {
                send(x, 500, new ApiError(500, "internal error: " + e, "server_error", null, null).body(JSON));
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void requireMethod(String got, String want) {
        if (!got.equals(want)) throw new ApiError(405, "use " + want + ", not " + got, "invalid_request_error", null, "method_not_allowed");
    }

    private void authorize(HttpExchange x) {
        if (options.apiKey() == null) return;
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.equals("Bearer " + options.apiKey()))
            throw new ApiError(401, auth == null ? "no API key: send Authorization: Bearer KEY" : "incorrect API key",
                    "invalid_request_error", null, "invalid_api_key");
    }

    /** The body, refused past the size limit without reading it all. */
    private byte[] readBody(HttpExchange x) throws IOException {
        String length = x.getRequestHeaders().getFirst("Content-Length");
        if (length != null && Long.parseLong(length.trim()) > options.maxBodyBytes())
            throw new ApiError(413, "the body has " + length + " bytes; at most " + options.maxBodyBytes(), "invalid_request_error", null, "body_too_large");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = x.getRequestBody()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                if (out.size() > options.maxBodyBytes())
                    throw new ApiError(413, "the body is over " + options.maxBodyBytes() + " bytes", "invalid_request_error", null, "body_too_large");
            }
        }
        return out.toByteArray();
    }

    private byte[] embeddings(byte[] body) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw ApiError.invalid(null, "the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        EmbeddingRequest r = EmbeddingRequest.parse(root, options.maxInputs());
        if (r.model() != null && !r.model().equals(name))
            throw new ApiError(404, "the model '" + r.model() + "' is not served here; this server has '" + name + "'",
                    "invalid_request_error", "model", "model_not_found");
        int width = model.dimension(), max = model.tokenizer().maxLength();
        if (r.dimensions() != null && r.dimensions() > width)
            throw ApiError.invalid("dimensions", "'dimensions' " + r.dimensions() + " is more than the model's " + width);
        // token rows: the texts tokenized once here (truncated as embed would), or the ids the client sent
        List<long[]> rows = new ArrayList<>();
        if (r.texts() != null) {
            var inputs = model.inputs(); // GME's: the text inside its prompt (taken verbatim: no images over this API)
            for (int i = 0; i < r.texts().size(); i++) {
                String text = r.texts().get(i);
                int n = r.truncate() ? 0 : inputs.textLength(text);
                if (n > max)
                    throw new ApiError(400, "input[" + i + "] has " + n + " tokens; the model takes " + max + " (send \"truncate\": true to cut it)",
                            "invalid_request_error", "input", "context_length_exceeded");
                rows.add(inputs.textIds(text));
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
                rows.add(ids.length > max ? java.util.Arrays.copyOf(ids, max) : ids);
            }
        }
        long usage = 0;
        for (long[] row : rows) usage += row.length;
        CompletableFuture<float[][]> pending = batcher.offer(rows);
        if (pending == null)
            throw new ApiError(503, "the server is busy (" + options.maxQueued() + " requests queued); retry shortly", "server_error", null, "overloaded");
        float[][] vectors;
        try {
            vectors = pending.get(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "the server is stopping", "server_error", null, "shutting_down");
        } catch (ExecutionException | TimeoutException e) {
            throw new ApiError(500, "embedding failed: " + (e.getCause() != null ? e.getCause() : e), "server_error", null, null);
        }
        return response(vectors, r, usage);
    }

    /** {"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}. */
    private byte[] response(float[][] vectors, EmbeddingRequest r, long usage) throws IOException {
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
            g.writeStringField("model", name);
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", usage);
            g.writeNumberField("total_tokens", usage);
            g.writeEndObject();
            g.writeEndObject();
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

    private byte[] models() throws IOException {
        var root = JSON.createObjectNode().put("object", "list");
        root.putArray("data").addObject().put("id", name).put("object", "model").put("created", created).put("owned_by", "embtune");
        return JSON.writeValueAsBytes(root);
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, body.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(body);
        }
    }

    /** Batches run and inputs embedded so far. */
    public long[] counts() {
        return batcher.counts();
    }

    /**
     * Stops taking connections, lets the requests already queued finish and be answered (up to a
     * minute), then stops. What SIGTERM does.
     */
    @Override
    public void close() {
        stopping = true; // new requests: 503; those under way go on
        batcher.close(); // finishes the queued jobs, then stops its worker
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) { // their answers are being written
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.stop(0);
        pool.shutdown();
    }
}
