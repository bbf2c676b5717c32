package embtune.hub;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import embtune.data.Dataset;
import embtune.data.LoadOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fake ModelScope on loopback (its v1 API as the modelscope SDK calls it) and a fake Hugging Face
 * data set repository: models and data sets by id, paged listings, checksums, the stsb subsets.
 */
class ModelScopeHubTest {
    @TempDir Path dir;
    HttpServer server;
    final Map<String, byte[]> model = new LinkedHashMap<>(), data = new LinkedHashMap<>();
    final List<String> requests = new ArrayList<>();
    volatile String wrongSha;

    static final String STSB_CSV = "sentence1,sentence2,score\n"
            + "A plane is taking off.,An air plane is taking off.,1.0\n"
            + "A man is playing a flute.,A man is playing a bamboo flute.,0.76\n"
            + "Three men are playing chess.,Two men are playing chess.,0.52\n";

    @BeforeEach
    void start() throws Exception {
        Path src = embtune.Fixtures.dir("tiny-bert");
        try (var walk = Files.walk(src)) {
            for (Path p : (Iterable<Path>) walk::iterator)
                if (Files.isRegularFile(p)) model.put(src.relativize(p).toString(), Files.readAllBytes(p));
        }
        data.put("train.csv", STSB_CSV.getBytes(StandardCharsets.UTF_8));
        data.put("test.csv", "sentence1,sentence2,score\nx,y,0.1\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 120; i++) data.put("notes/n" + i + ".md", ("note " + i).getBytes(StandardCharsets.UTF_8)); // > 1 page
        server = HfHubTest.serve(this::handle);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    ModelScopeHub hub() {
        return new ModelScopeHub("http://127.0.0.1:" + server.getAddress().getPort(), null, dir.resolve("ms-cache"))
                .progressTo(new PrintStream(new ByteArrayOutputStream()));
    }

    static Map<String, String> query(HttpExchange x) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = x.getRequestURI().getRawQuery();
        if (raw != null) for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    String files(Map<String, byte[]> files, List<String> names) throws Exception {
        StringBuilder sb = new StringBuilder("[");
        for (String n : names) {
            byte[] b = files.get(n);
            String sha = n.endsWith(".safetensors") && wrongSha != null ? wrongSha : HfHubTest.hex("SHA-256", b);
            sb.append(sb.length() > 1 ? "," : "").append("{\"Name\":\"").append(Path.of(n).getFileName()).append("\",\"Path\":\"").append(n)
                    .append("\",\"Type\":\"blob\",\"Size\":").append(b.length).append(",\"Sha256\":\"").append(sha).append("\",\"Revision\":\"abc\"}");
        }
        return sb.append(",{\"Name\":\"notes\",\"Path\":\"notes\",\"Type\":\"tree\",\"Size\":0}]").toString();
    }

    void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        Map<String, String> q = query(x);
        synchronized (requests) { requests.add(path + "?" + x.getRequestURI().getRawQuery()); }
        try {
            if (path.equals("/api/v1/models/org/tiny/repo/files") && "True".equals(q.get("Recursive"))) {
                send(x, 200, "{\"Code\":200,\"Data\":{\"Files\":" + files(model, new ArrayList<>(model.keySet())) + "}}");
            } else if (path.equals("/api/v1/models/org/tiny/repo") && model.containsKey(q.get("FilePath"))) {
                send(x, 200, model.get(q.get("FilePath")));
            } else if (path.equals("/api/v1/datasets/org/stsb")) {
                send(x, 200, "{\"Code\":200,\"Data\":{\"Id\":4242,\"Type\":0}}");
            } else if (path.equals("/api/v1/datasets/4242/repo/tree")) {
                int page = Integer.parseInt(q.get("PageNumber")), size = Integer.parseInt(q.get("PageSize"));
                List<String> names = new ArrayList<>(data.keySet());
                List<String> slice = names.subList(Math.min(names.size(), (page - 1) * size), Math.min(names.size(), page * size));
                send(x, 200, "{\"Code\":200,\"Data\":{\"Files\":" + (slice.isEmpty() ? "[]" : files(data, slice).replace(",{\"Name\":\"notes\",\"Path\":\"notes\",\"Type\":\"tree\",\"Size\":0}", "")) + "}}");
            } else if (path.equals("/api/v1/datasets/org/stsb/repo") && "SDK".equals(q.get("Source")) && data.containsKey(q.get("FilePath"))) {
                send(x, 200, data.get(q.get("FilePath")));
            } else {
                send(x, 404, new byte[0]);
            }
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    static void send(HttpExchange x, int status, String body) throws IOException {
        send(x, status, body.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange x, int status, byte[] body) throws IOException {
        HfHubTest.send(x, status, body);
    }

    @Test
    void aModelIdResolvesIntoModelscopesCacheLayoutAndLoads() throws Exception {
        Path m = ModelResolver.resolve("org/tiny", hub());
        assertEquals(dir.resolve("ms-cache/models/org/tiny"), m);
        assertEquals("master", Files.readString(m.resolve(ModelScopeHub.MARKER)));
        assertFalse(Files.exists(m.resolve("README.md")), "only the files a model needs");
        var e = embtune.Fixtures.json("tiny-bert/expected.json");
        try (var loaded = embtune.model.Embedder.load(m)) {
            assertTrue(embtune.Fixtures.maxDiff(loaded.embed(embtune.Fixtures.strings(e.get("texts"))), embtune.Fixtures.matrix(e.get("embeddings"))) < 1e-5);
        }
        server.stop(0); // offline: the cache answers
        assertEquals(m, ModelResolver.resolve("org/tiny", hub()));
        assertThrows(HubError.class, () -> ModelResolver.resolve("org/tiny@v2", hub()), "another revision is not the cached one");
    }

    @Test
    void aWrongSha256IsRejected() {
        wrongSha = "0".repeat(64);
        var e = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", "master", List.of("*.safetensors"), null));
        assertTrue(e.getMessage().contains("arrived corrupted") && e.getMessage().contains("sha256"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("ms-cache/models/org/tiny/model.safetensors")));
    }

    @Test
    void aDatasetIdLoadsItsTrainSplitWithTheSubsetRules() {
        LoadOptions opts = LoadOptions.defaults().hub(hub());
        Dataset all = Dataset.load("org/stsb", opts);
        assertEquals(3, all.size(), "train.csv only, not test.csv");
        assertEquals("A plane is taking off.", all.get(0).anchor());
        assertEquals(0.76f, all.get(1).label(), 1e-6);
        Dataset positive = Dataset.load("org/stsb:positive", opts);
        assertEquals(2, positive.size(), "score >= 0.75");
        assertTrue(requests.stream().anyMatch(r -> r.contains("PageNumber=2")), "the paged tree was followed: " + requests);
        assertTrue(Files.exists(dir.resolve("ms-cache/datasets/org/stsb/train.csv")));
        assertFalse(Files.exists(dir.resolve("ms-cache/datasets/org/stsb/notes")), "only data files are fetched");
    }

    @Test
    void theHubIsChosenByName() {
        assertInstanceOf(ModelScopeHub.class, Hub.named("modelscope"));
        assertInstanceOf(HfHub.class, Hub.named("huggingface"));
        assertEquals("master", Hub.named("ms").defaultRevision());
        assertThrows(IllegalArgumentException.class, () -> Hub.named("gitee"));
    }

    @Test
    void theProgressBarShowsShareSizeAndRate() {
        assertEquals("model.safetensors [============>           ]  50%  1.0/2.0 MB  0.5 MB/s",
                Hub.bar("model.safetensors", 1 << 20, 2 << 20, 1 << 20, 2.0));
        assertTrue(Hub.bar("x", 10, 10, 10, 1).contains("[========================] 100%"));
    }
}
