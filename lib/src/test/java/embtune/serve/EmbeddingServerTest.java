package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import embtune.Fixtures;
import embtune.model.Embedder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI embeddings API on the loopback: a real client, every bad request, batching under load. */
class EmbeddingServerTest {
    static final String KEY = "sk-test";
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Someone strums a guitar.", "The stock market fell sharply.");
    static final ObjectMapper JSON = new ObjectMapper();
    static Embedder model;
    static EmbeddingServer server;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        model = Embedder.load(Fixtures.dir("tiny-bert"));
        server = EmbeddingServer.start(model, EmbeddingServer.Options.defaults().port(0).apiKey(KEY).maxBodyBytes(64 << 10));
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static HttpResponse<String> post(String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.address() + "/v1/embeddings"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    @Test
    void langchain4jsOpenAiClientGetsTheSameVectorsAsEmbed() {
        var client = OpenAiEmbeddingModel.builder().baseUrl(server.address() + "/v1").apiKey(KEY).modelName("tiny-bert").build();
        var response = client.embedAll(TEXTS.stream().map(TextSegment::from).toList());
        float[][] want = model.embed(TEXTS);
        assertEquals(3, response.content().size());
        for (int i = 0; i < 3; i++) assertTrue(Fixtures.maxDiff(want[i], response.content().get(i).vector()) < 1e-6, "text " + i);
        assertTrue(response.tokenUsage().inputTokenCount() > 0);
    }

    @Test
    void stringsTokenIdsBase64AndDimensions() throws Exception {
        JsonNode one = JSON.readTree(post("{\"input\": \"" + TEXTS.get(0) + "\", \"model\": \"tiny-bert\"}", KEY).body());
        assertEquals("list", one.get("object").asText());
        assertEquals(0, one.get("data").get(0).get("index").asInt());
        assertTrue(Fixtures.maxDiff(model.embed(TEXTS.get(0))[0], floats(one.get("data").get(0).get("embedding"))) < 1e-6);
        long tokens = model.tokenizer().length(TEXTS.get(0));
        assertEquals(tokens, one.get("usage").get("prompt_tokens").asLong());
        assertEquals(tokens, one.get("usage").get("total_tokens").asLong());

        // token ids, as a client that tokenized itself sends them: the same vector
        long[] ids = model.tokenizer().ids(TEXTS.get(0));
        JsonNode byIds = JSON.readTree(post("{\"input\": [" + JSON.writeValueAsString(ids) + "]}", KEY).body());
        assertTrue(Fixtures.maxDiff(model.embed(TEXTS.get(0))[0], floats(byIds.get("data").get(0).get("embedding"))) < 1e-6);

        // base64: little-endian float32
        JsonNode b64 = JSON.readTree(post("{\"input\": [\"" + TEXTS.get(1) + "\"], \"encoding_format\": \"base64\"}", KEY).body());
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64.get("data").get(0).get("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[buf.remaining() / 4];
        for (int i = 0; i < decoded.length; i++) decoded[i] = buf.getFloat();
        assertTrue(Fixtures.maxDiff(model.embed(TEXTS.get(1))[0], decoded) < 1e-6);

        // dimensions: the first 8, normalised again
        JsonNode d = JSON.readTree(post("{\"input\": \"" + TEXTS.get(2) + "\", \"dimensions\": 8}", KEY).body());
        float[] v = floats(d.get("data").get(0).get("embedding"));
        assertEquals(8, v.length);
        assertArrayEquals(EmbeddingServer.truncated(model.embed(TEXTS.get(2))[0], 8), v, 1e-6f);
        double norm = 0;
        for (float f : v) norm += f * f;
        assertEquals(1.0, norm, 1e-5);

        JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.address() + "/v1/models"))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("tiny-bert", models.get("data").get(0).get("id").asText());
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(server.address() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "health needs no key");
    }

    /** Status and error param/code of a bad request; the error object is OpenAI's. */
    static void refused(String body, String key, int status, String param) throws Exception {
        HttpResponse<String> r = post(body, key);
        assertEquals(status, r.statusCode(), body + " -> " + r.body());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertNotNull(e, r.body());
        assertTrue(e.has("message") && e.has("type") && e.has("param") && e.has("code"), r.body());
        if (param != null) assertEquals(param, e.get("param").asText(), r.body());
    }

    @Test
    void badRequestsGetOpenAisErrorObjectAndTheServerKeepsServing() throws Exception {
        refused("{\"input\": \"x\"}", null, 401, null);
        refused("{\"input\": \"x\"}", "wrong", 401, null);
        refused("not json", KEY, 400, null);
        refused("{}", KEY, 400, "input");
        refused("{\"input\": \"\"}", KEY, 400, "input");
        refused("{\"input\": [\"a\", 3]}", KEY, 400, "input[1]");
        refused("{\"input\": []}", KEY, 400, "input");
        refused("{\"input\": 42}", KEY, 400, "input");
        refused("{\"input\": \"x\", \"encoding_format\": \"int8\"}", KEY, 400, "encoding_format");
        refused("{\"input\": \"x\", \"dimensions\": 33}", KEY, 400, "dimensions");
        refused("{\"input\": \"x\", \"dimensions\": 0}", KEY, 400, "dimensions");
        refused("{\"input\": [[1, 2, 99999]]}", KEY, 400, "input");
        refused("{\"input\": \"x\", \"model\": \"gpt-4\"}", KEY, 404, "model");
        refused("{\"input\": [" + "\"a\",".repeat(2048) + "\"a\"]}", KEY, 400, "input");
        refused("{\"input\": \"" + "word ".repeat(200) + "\", \"truncate\": false}", KEY, 400, "input");
        refused("{\"input\": \"" + "x".repeat(70_000) + "\"}", KEY, 413, null);
        assertEquals(200, post("{\"input\": \"" + "word ".repeat(200) + "\"}", KEY).statusCode(), "long texts are cut by default");
        assertEquals(200, post("{\"input\": \"still serving\"}", KEY).statusCode());
    }

    @Test
    void concurrentClientsAreBatchedTogetherAndEachGetsItsOwnVectors() throws Exception {
        long[] before = server.counts();
        ExecutorService clients = Executors.newFixedThreadPool(16);
        List<Future<float[]>> answers = new ArrayList<>();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String text = "request number " + i + " about " + TEXTS.get(i % 3);
            sent.add(text);
            answers.add(clients.submit(() -> floats(JSON.readTree(post("{\"input\": \"" + text + "\"}", KEY).body()).get("data").get(0).get("embedding"))));
        }
        float[][] want = model.embed(sent);
        for (int i = 0; i < 64; i++) assertTrue(Fixtures.maxDiff(want[i], answers.get(i).get()) < 1e-6, "request " + i);
        clients.shutdown();
        long[] after = server.counts();
        assertEquals(64, after[1] - before[1], "every input embedded once");
        assertTrue(after[0] - before[0] < 64, "requests shared batches: " + (after[0] - before[0]) + " batches for 64 requests");
    }

    @Test
    void aFullQueueAnswers503WithRetryAfter() throws Exception {
        try (Embedder slow = Embedder.load(Fixtures.dir("tiny-bert"));
             EmbeddingServer tiny = EmbeddingServer.start(slow, EmbeddingServer.Options.defaults().port(0).maxQueued(1).maxBatchSize(1).maxWaitMs(0))) {
            ExecutorService clients = Executors.newFixedThreadPool(12);
            List<Future<HttpResponse<String>>> rs = new ArrayList<>();
            String body = "{\"input\": [" + ("\"" + "a long text to keep the worker busy ".repeat(8) + "\",").repeat(63) + "\"x\"]}";
            for (int i = 0; i < 12; i++)
                rs.add(clients.submit(() -> http.send(HttpRequest.newBuilder(URI.create(tiny.address() + "/v1/embeddings"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())));
            int ok = 0, busy = 0;
            for (var f : rs) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) ok++;
                else {
                    assertEquals(503, r.statusCode(), r.body());
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                    busy++;
                }
            }
            clients.shutdown();
            assertTrue(ok >= 1 && busy >= 1, ok + " answered, " + busy + " told to retry");
        }
    }
}
