package embtune.mine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.ModelError;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A teacher behind an OpenAI-compatible {@code POST /v1/embeddings} (OpenAI, vLLM, TEI, Ollama,
 * embtune's own {@code serve}): texts go in batches, a few requests at a time; a 429 or 5xx
 * answer, a dropped connection or a timeout is retried with exponential backoff (the server's
 * Retry-After when it sends one). Anything else (a refused connection, a 4xx, an answer of the
 * wrong shape) is a {@link ModelError} naming the endpoint and what it said.
 *
 * <pre>
 * var teacher = EndpointTeacher.at("http://localhost:8000/v1", "Qwen3-Embedding-8B").apiKey(System.getenv("OPENAI_API_KEY"));
 * </pre>
 */
public final class EndpointTeacher implements Teacher {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final String model;
    private final String apiKey;
    private final Integer dimensions;
    private final int batchSize, concurrency, maxRetries;
    private final Duration timeout, firstBackoff;
    private final HttpClient http;
    private volatile int dimension = -1; // fixed by the first answer: every later one must match

    private EndpointTeacher(URI url, String model, String apiKey, Integer dimensions, int batchSize, int concurrency, int maxRetries,
                            Duration timeout, Duration firstBackoff) {
        this.url = url;
        this.model = model;
        this.apiKey = apiKey;
        this.dimensions = dimensions;
        this.batchSize = batchSize;
        this.concurrency = concurrency;
        this.maxRetries = maxRetries;
        this.timeout = timeout;
        this.firstBackoff = firstBackoff;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * @param base  the API root ({@code http://host:port/v1}) or the full embeddings URL
     * @param model the model name the server knows it by (its {@code model} field)
     */
    public static EndpointTeacher at(String base, String model) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        URI url;
        try {
            url = URI.create(b.endsWith("/embeddings") ? b : b + "/embeddings");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL: " + base);
        }
        if (url.getHost() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https")))
            throw new IllegalArgumentException("not an http(s) URL: " + base);
        return new EndpointTeacher(url, model, null, null, 64, 4, 6, Duration.ofSeconds(120), Duration.ofMillis(500));
    }

    public EndpointTeacher apiKey(String key) { return new EndpointTeacher(url, model, key, dimensions, batchSize, concurrency, maxRetries, timeout, firstBackoff); }
    /** OpenAI's {@code dimensions}: ask for shorter (Matryoshka) vectors; answers of another size are an error. */
    public EndpointTeacher dimensions(Integer d) { return new EndpointTeacher(url, model, apiKey, d, batchSize, concurrency, maxRetries, timeout, firstBackoff); }
    /** Texts per request. */
    public EndpointTeacher batchSize(int n) { return new EndpointTeacher(url, model, apiKey, dimensions, n, concurrency, maxRetries, timeout, firstBackoff); }
    /** Requests in flight at once. */
    public EndpointTeacher concurrency(int n) { return new EndpointTeacher(url, model, apiKey, dimensions, batchSize, n, maxRetries, timeout, firstBackoff); }
    /** Retries of one request before giving up, and the first wait (doubled each time). */
    public EndpointTeacher retries(int n, Duration firstWait) { return new EndpointTeacher(url, model, apiKey, dimensions, batchSize, concurrency, n, timeout, firstWait); }
    /** How long one request may take. */
    public EndpointTeacher timeout(Duration d) { return new EndpointTeacher(url, model, apiKey, dimensions, batchSize, concurrency, maxRetries, d, firstBackoff); }

    /**
     * The same endpoint, with the model name taken from {@code GET /models} when the server lists
     * exactly one (embtune's serve, vLLM, TEI); otherwise an error asking for the name.
     */
    public EndpointTeacher servedModel() {
        URI models = URI.create(url.toString().replaceFirst("/embeddings$", "/models"));
        HttpRequest.Builder req = HttpRequest.newBuilder(models).timeout(timeout).GET();
        if (apiKey != null && !apiKey.isBlank()) req.header("Authorization", "Bearer " + apiKey);
        List<String> ids = new ArrayList<>();
        try {
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new ModelError(models + ": HTTP " + r.statusCode() + ": " + message(r.body()) + "; pass --teacher_model");
            JSON.readTree(r.body()).path("data").forEach(m -> ids.add(m.path("id").asText()));
        } catch (IOException e) {
            throw new ModelError(models + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelError(models + ": interrupted");
        }
        if (ids.size() != 1) throw new ModelError(models + " lists " + (ids.isEmpty() ? "no models" : ids.size() + " models " + ids) + "; pass --teacher_model NAME");
        return new EndpointTeacher(url, ids.get(0), apiKey, dimensions, batchSize, concurrency, maxRetries, timeout, firstBackoff);
    }

    @Override
    public float[][] embed(List<String> texts) {
        float[][] out = new float[texts.size()][];
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, concurrency), r -> {
            Thread t = new Thread(r, "teacher-request");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> pending = new ArrayList<>();
            for (int start = 0; start < texts.size(); start += batchSize) {
                int from = start, to = Math.min(texts.size(), start + batchSize);
                pending.add(pool.submit(() -> {
                    float[][] v = request(texts.subList(from, to), from);
                    System.arraycopy(v, 0, out, from, v.length);
                    return null;
                }));
            }
            for (Future<?> f : pending) f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new ModelError(url + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelError(url + ": interrupted");
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    /** One batch, retried on 429, 5xx and I/O failures. */
    private float[][] request(List<String> batch, int offset) throws InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        if (model != null) body.put("model", model);
        body.putPOJO("input", batch);
        body.put("encoding_format", "float");
        if (dimensions != null) body.put("dimensions", dimensions);
        HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null && !apiKey.isBlank()) req.header("Authorization", "Bearer " + apiKey);
        String where = url + " (inputs " + offset + ".." + (offset + batch.size() - 1) + ")";
        long wait = firstBackoff.toMillis();
        for (int attempt = 0; ; attempt++) {
            String problem;
            long retryAfter = -1;
            try {
                HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return parse(r.body(), batch.size(), where);
                problem = "HTTP " + r.statusCode() + ": " + message(r.body());
                if (r.statusCode() != 429 && r.statusCode() < 500) throw new ModelError(where + ": " + problem);
                retryAfter = r.headers().firstValue("Retry-After").map(EndpointTeacher::seconds).orElse(-1L);
            } catch (java.net.ConnectException e) {
                throw new ModelError(url + ": cannot connect (" + (e.getMessage() == null ? "connection refused" : e.getMessage())
                        + "); is the server running?");
            } catch (IOException e) { // a dropped connection or a timeout: worth another try
                problem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
            }
            if (attempt >= maxRetries) throw new ModelError(where + ": " + problem + " (gave up after " + (attempt + 1) + " tries)");
            embtune.Log.note(String.format("teacher %s: %s; try %d of %d in %d ms", url, problem, attempt + 2, maxRetries + 1,
                    retryAfter >= 0 ? retryAfter * 1000 : wait));
            Thread.sleep(retryAfter >= 0 ? retryAfter * 1000 : wait);
            wait *= 2;
        }
    }

    private float[][] parse(String text, int n, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new ModelError(where + ": the answer is not JSON");
        }
        JsonNode data = root.path("data");
        if (!data.isArray() || data.size() != n)
            throw new ModelError(where + ": expected " + n + " embeddings in 'data', got " + (data.isArray() ? data.size() : "none"));
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            JsonNode item = data.get(i);
            int index = item.path("index").asInt(i);
            JsonNode e = item.path("embedding");
            if (index < 0 || index >= n || out[index] != null) throw new ModelError(where + ": data[" + i + "] has index " + index);
            if (!e.isArray() || e.isEmpty()) throw new ModelError(where + ": data[" + i + "].embedding is not a list of numbers");
            float[] v = new float[e.size()];
            for (int j = 0; j < v.length; j++) {
                if (!e.get(j).isNumber()) throw new ModelError(where + ": data[" + i + "].embedding[" + j + "] is not a number");
                v[j] = (float) e.get(j).asDouble();
            }
            checkDimension(v.length, where);
            out[index] = v;
        }
        return out;
    }

    private synchronized void checkDimension(int d, String where) {
        if (dimensions != null && d != dimensions)
            throw new ModelError(where + ": answered " + d + "-d vectors, but --dimensions asked for " + dimensions);
        if (dimension < 0) dimension = d;
        else if (d != dimension) throw new ModelError(where + ": answered " + d + "-d vectors, earlier answers were " + dimension + "-d");
    }

    /** OpenAI's error object's message, else the body's start. */
    private static String message(String body) {
        try {
            JsonNode m = JSON.readTree(body).path("error").path("message");
            if (m.isTextual()) return m.asText();
        } catch (IOException | RuntimeException ignored) {
            // not JSON: show the text
        }
        String s = body.strip().replaceAll("\\s+", " ");
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static long seconds(String v) {
        try {
            return Math.min(60, Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String name() {
        return (model == null ? "the model" : model) + " at " + url;
    }

    @Override
    public String toString() {
        return "EndpointTeacher " + model + " at " + url + ": " + batchSize + " texts per request, " + concurrency + " at once"
                + (dimensions == null ? "" : ", " + dimensions + "-d");
    }
}
