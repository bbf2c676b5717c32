package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import embtune.Fixtures;
import embtune.lora.Adapter;
import embtune.lora.AdapterSet;
import embtune.model.Embedder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 35: one base, two LoRA adapters trained on different data (peft's fixture adapter and one
 * embtune trains here on STS-B), chosen per request; every vector equals base + that adapter as
 * {@code embed --model BASE --adapters CKPT} gives it, in mixed batches too.
 */
class MultiAdapterServeTest {
    static final String KEY = "sk-adapters";
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Someone strums a guitar.", "The stock market fell sharply.",
            "A woman slices an onion.", "Two dogs run on the beach.");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    @TempDir static Path tmp;
    static Path peft, trained;
    static Embedder base;
    static AdapterSet adapters;
    static EmbeddingServer server;
    static final Map<String, float[][]> want = new LinkedHashMap<>(); // served name -> vectors of TEXTS

    @BeforeAll
    static void start() throws Exception {
        peft = Fixtures.dir("tiny-qwen3-lora");
        trained = trainAdapter(tmp.resolve("train"));
        base = Embedder.load(Fixtures.dir("tiny-qwen3"));
        want.put("tiny-qwen3", base.embed(TEXTS));
        for (var e : Map.of("peft", peft, "trained", trained).entrySet())
            try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
                Adapter.load(m, e.getValue()); // what embed --model BASE --adapters CKPT runs
                want.put(e.getKey(), m.embed(TEXTS));
            }
        assertTrue(Fixtures.maxDiff(want.get("peft"), want.get("trained")) > 1e-3, "the two adapters give different vectors");
        assertTrue(Fixtures.maxDiff(want.get("peft"), want.get("tiny-qwen3")) > 1e-3, "an adapter changes the vectors");
        Files.createDirectories(tmp.resolve("dir"));
        adapters = AdapterSet.on(base).add("peft", peft).add("trained", trained).watch(tmp.resolve("dir"));
        server = EmbeddingServer.start(base, adapters, EmbeddingServer.Options.defaults().port(0).apiKey(KEY).maxWaitMs(100));
    }

    /** A rank-2 adapter on q and v only, trained two steps on STS-B rows (peft's fixture is rank 4 on every linear). */
    static Path trainAdapter(Path out) {
        embtune.train.TrainConfig c = new embtune.train.TrainConfig()
                .with("model", Fixtures.dir("tiny-qwen3").toString()).with("train_type", "lora").with("lora_rank", 2).with("lora_alpha", 8)
                .with("target_modules", "q_proj,v_proj").with("loss_type", "cosine_similarity")
                .with("dataset", "../datasets/stsb-train.jsonl#16").with("per_device_train_batch_size", 8).with("gradient_accumulation_steps", 1)
                .with("learning_rate", 5e-2).with("max_steps", 2).with("save_steps", 2).with("logging_steps", 1).with("output_dir", out.toString());
        return embtune.cli.TrainCommandAccess.run(c).lastCheckpoint();
    }

    @AfterAll
    static void stop() {
        server.close();
        adapters.close();
        base.close();
    }

    static HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.address() + "/v1/embeddings")).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static float[] vector(JsonNode item) {
        JsonNode a = item.get("embedding");
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    @Test
    void oneForwardPassMixingAdaptersGivesEachRowItsOwnAdaptersVectors() {
        // the rows of one batch alternate base, peft and trained: one embedTokens call, routed per row
        List<long[]> rows = new ArrayList<>();
        List<String> perRow = new ArrayList<>();
        String[] names = {null, "peft", "trained"};
        for (int i = 0; i < 3 * TEXTS.size(); i++) {
            rows.add(base.tokenizer().ids(TEXTS.get(i % TEXTS.size())));
            perRow.add(names[i % 3]);
        }
        float[][] got = base.embedTokens(rows, (chunk, forward) -> {
            List<String> mine = new ArrayList<>();
            for (int i : chunk) mine.add(perRow.get(i));
            return adapters.route(mine, forward);
        });
        for (int i = 0; i < got.length; i++) {
            String served = names[i % 3] == null ? "tiny-qwen3" : names[i % 3];
            double d = Fixtures.maxDiff(want.get(served)[i % TEXTS.size()], got[i]);
            assertTrue(d < 1e-6, "row " + i + " (" + served + "): " + d);
        }
    }

    @Test
    void concurrentRequestsForDifferentAdaptersShareBatchesAndMatchEmbed() throws Exception {
        long[] before = server.counts();
        ExecutorService clients = Executors.newFixedThreadPool(12);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        List<String> models = List.of("tiny-qwen3", "peft", "trained");
        for (int i = 0; i < 24; i++) {
            String m = models.get(i % 3), text = TEXTS.get(i % TEXTS.size());
            answers.add(clients.submit(() -> post(JSON.writeValueAsString(Map.of("input", List.of(text), "model", m)))));
        }
        for (int i = 0; i < 24; i++) {
            HttpResponse<String> r = answers.get(i).get();
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = JSON.readTree(r.body());
            String m = models.get(i % 3);
            assertEquals(m, body.get("model").asText());
            double d = Fixtures.maxDiff(want.get(m)[i % TEXTS.size()], vector(body.get("data").get(0)));
            assertTrue(d < 1e-6, "request " + i + " for " + m + ": " + d);
        }
        clients.shutdown();
        long[] after = server.counts();
        assertTrue(after[0] - before[0] < 24, "requests for different adapters shared batches: " + (after[0] - before[0]) + " batches for 24");
    }

    @Test
    void langchain4jsOpenAiClientPicksAnAdapterByModelName() {
        for (String m : List.of("peft", "trained", "tiny-qwen3")) {
            var client = OpenAiEmbeddingModel.builder().baseUrl(server.address() + "/v1").apiKey(KEY).modelName(m).build();
            var response = client.embedAll(TEXTS.stream().map(TextSegment::from).toList());
            for (int i = 0; i < TEXTS.size(); i++) {
                double d = Fixtures.maxDiff(want.get(m)[i], response.content().get(i).vector());
                assertTrue(d < 1e-6, m + " text " + i + ": " + d);
            }
        }
    }

    @Test
    void modelsListsEveryAdapterAndAnUnknownOneIs404() throws Exception {
        JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.address() + "/v1/models"))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body());
        List<String> ids = new ArrayList<>();
        models.get("data").forEach(d -> ids.add(d.get("id").asText()));
        assertTrue(ids.containsAll(List.of("tiny-qwen3", "peft", "trained")), ids.toString());
        HttpResponse<String> r = post("{\"input\": \"x\", \"model\": \"nobody\"}");
        assertEquals(404, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertEquals("model_not_found", e.get("code").asText());
        assertEquals("model", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("'nobody' is not served here"), r.body());
    }

    @Test
    void adaptersDirIsReloadedWithoutARestartAndABrokenFolderIsSkipped() throws Exception {
        Path dir = adapters.watched();
        copy(trained, dir.resolve("fresh"));
        Files.createDirectories(dir.resolve("broken"));
        Files.copy(peft.resolve("adapter_config.json"), dir.resolve("broken/adapter_config.json"));
        Files.writeString(dir.resolve("broken/adapter_model.safetensors"), "not a safetensors file");
        HttpRequest reload = HttpRequest.newBuilder(URI.create(server.address() + "/v1/adapters/reload")).POST(HttpRequest.BodyPublishers.noBody()).build();
        assertEquals(401, http.send(reload, HttpResponse.BodyHandlers.ofString()).statusCode(), "reload is behind the API key");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(reload.uri()).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode report = JSON.readTree(r.body());
        assertEquals("[\"fresh\"]", report.get("loaded").toString());
        assertTrue(report.get("skipped").get("broken").asText().contains("adapter_model.safetensors"), r.body());
        JsonNode fresh = JSON.readTree(post("{\"input\": [\"" + TEXTS.get(0) + "\"], \"model\": \"fresh\"}").body());
        assertTrue(Fixtures.maxDiff(want.get("trained")[0], vector(fresh.get("data").get(0))) < 1e-6, "the new adapter serves");
        assertEquals(200, post("{\"input\": \"x\", \"model\": \"peft\"}").statusCode(), "the others still serve");
    }

    static void copy(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) Files.copy(from.resolve(f), to.resolve(f));
    }
}
