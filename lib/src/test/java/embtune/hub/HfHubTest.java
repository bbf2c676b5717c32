package embtune.hub;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fake hub on loopback: resume, checksums, errors, unsafe names, cache layout. */
class HfHubTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    @TempDir Path dir;
    HttpServer server;
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<String> requests = new ArrayList<>();
    volatile int breakTransfers;
    volatile String commitAnswer = "{\"sha\": \"" + COMMIT + "\"}";
    volatile int extraBytes;
    volatile String wrongSha;
    volatile String extraName;
    volatile String authorization;

    static String hex(String alg, byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance(alg);
        for (byte[] p : parts) md.update(p);
        return HexFormat.of().formatHex(md.digest());
    }

    @BeforeEach
    void start() throws Exception {
        byte[] weights = new byte[300_000];
        for (int i = 0; i < weights.length; i++) weights[i] = (byte) (i * 31);
        files.put("model.safetensors", weights);
        files.put("config.json", "{\"model_type\": \"bert\"}".getBytes(StandardCharsets.UTF_8));
        files.put("sub/notes.txt", "hello".getBytes(StandardCharsets.UTF_8));
        server = HfHubTest.serve(this::handle);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    HfHub hub() {
        return (HfHub) new HfHub("http://127.0.0.1:" + server.getAddress().getPort(), "secret", dir.resolve("cache"))
                .progressTo(new PrintStream(new ByteArrayOutputStream())).timeout(java.time.Duration.ofSeconds(2))
                .retries(3, java.time.Duration.ofMillis(10));
    }

    void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        synchronized (requests) { requests.add(path + (x.getRequestHeaders().containsKey("Range") ? " " + x.getRequestHeaders().getFirst("Range") : "")); }
        authorization = x.getRequestHeaders().getFirst("Authorization");
        try {
            if (path.startsWith("/api/models/org/gated/")) { send(x, 401, new byte[0]); return; }
            if (path.equals("/api/models/org/tiny/revision/main")) { send(x, 200, commitAnswer.getBytes()); return; }
            if (path.equals("/api/models/org/tiny/tree/" + COMMIT)) { send(x, 200, tree().getBytes()); return; }
            if (path.equals("/api/datasets/org/stsb/revision/main")) { send(x, 200, ("{\"sha\": \"" + COMMIT + "\"}").getBytes()); return; }
            if (path.equals("/api/datasets/org/stsb/tree/" + COMMIT)) { // two pages, linked as the hub links them
                boolean second = "cursor=2".equals(x.getRequestURI().getQuery());
                List<String> names = new ArrayList<>(datasetFiles.keySet());
                List<String> page = second ? names.subList(1, names.size()) : names.subList(0, 1);
                if (!second) x.getResponseHeaders().add("Link", "<http://127.0.0.1:" + server.getAddress().getPort()
                        + "/api/datasets/org/stsb/tree/" + COMMIT + "?cursor=2>; rel=\"next\"");
                send(x, 200, treeOf(datasetFiles, page).getBytes());
                return;
            }
            String dprefix = "/datasets/org/stsb/resolve/" + COMMIT + "/";
            if (path.startsWith(dprefix) && datasetFiles.containsKey(path.substring(dprefix.length()))) {
                serveFile(x, datasetFiles.get(path.substring(dprefix.length())));
                return;
            }
            String prefix = "/org/tiny/resolve/" + COMMIT + "/";
            if (path.startsWith(prefix) && files.containsKey(path.substring(prefix.length()))) {
                serveFile(x, files.get(path.substring(prefix.length())));
                return;
            }
            send(x, 404, new byte[0]);
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    final Map<String, byte[]> datasetFiles = new java.util.LinkedHashMap<>();

    static String treeOf(Map<String, byte[]> files, List<String> names) throws Exception {
        StringBuilder sb = new StringBuilder("[");
        for (String n : names) {
            byte[] b = files.get(n);
            sb.append(sb.length() > 1 ? "," : "").append("{\"type\":\"file\",\"path\":\"").append(n).append("\",\"size\":").append(b.length)
                    .append(",\"oid\":\"").append(hex("SHA-1", ("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8), b)).append("\"}");
        }
        return sb.append(']').toString();
    }

    String tree() throws Exception {
        StringBuilder sb = new StringBuilder("[");
        for (var e : files.entrySet()) {
            byte[] b = e.getValue();
            String git = hex("SHA-1", ("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8), b);
            sb.append(sb.length() > 1 ? "," : "").append("{\"type\":\"file\",\"path\":\"").append(e.getKey()).append("\",\"size\":").append(b.length)
                    .append(",\"oid\":\"").append(git).append('"');
            if (e.getKey().endsWith(".safetensors"))
                sb.append(",\"lfs\":{\"oid\":\"").append(wrongSha != null ? wrongSha : hex("SHA-256", b)).append("\",\"size\":").append(b.length).append('}');
            sb.append('}');
        }
        sb.append(",{\"type\":\"directory\",\"path\":\"sub\"}");
        if (extraName != null) sb.append(",{\"type\":\"file\",\"path\":\"").append(extraName).append("\",\"size\":1,\"oid\":\"").append("a".repeat(40)).append("\"}");
        return sb.append(']').toString();
    }

    void serveFile(HttpExchange x, byte[] all) throws IOException {
        String range = x.getRequestHeaders().getFirst("Range");
        int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
        byte[] body = java.util.Arrays.copyOfRange(all, from, all.length + extraBytes);
        if (range != null) x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (all.length - 1) + "/" + all.length);
        x.sendResponseHeaders(range == null ? 200 : 206, body.length);
        OutputStream out = x.getResponseBody();
        if (breakTransfers > 0 && body.length > 1000) {
            breakTransfers--;
            out.write(body, 0, body.length / 3);
            out.flush();
            x.close();
            return;
        }
        out.write(body);
        out.close();
    }

    /** A started HTTP server on a free loopback port. */
    static HttpServer serve(com.sun.net.httpserver.HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", handler);
        s.start();
        return s;
    }

    static void send(HttpExchange x, int status, byte[] body) throws IOException {
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) try (OutputStream o = x.getResponseBody()) { o.write(body); }
        x.close();
    }

    @Test
    void downloadsIntoTheHuggingfaceCacheLayout() throws Exception {
        Path snap = hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of(), null);
        Path repo = dir.resolve("cache/models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(COMMIT), snap);
        assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
        assertEquals("hello", Files.readString(snap.resolve("sub/notes.txt")));
        assertTrue(Files.exists(repo.resolve("blobs").resolve(hex("SHA-256", files.get("model.safetensors")))), "LFS blob named by sha256");
        assertEquals("Bearer secret", authorization);
        assertEquals(snap, hub().cached(Hub.RepoType.MODEL, "org/tiny", "main"));
        int before = requests.size();
        hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of(), null);
        assertEquals(before + 2, requests.size(), "a second download only asks for the commit and the tree");
    }

    @Test
    void aTransferCutOffMidFileResumesByItselfWithRange() throws Exception {
        breakTransfers = 2;
        Path snap = hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of("*.safetensors"), null);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")), "one command, a whole file");
        assertEquals(2, requests.stream().filter(r -> r.contains("bytes=")).count(), "resumed twice with Range: " + requests);
        Path part = dir.resolve("cache/models--org--tiny/blobs").resolve(hex("SHA-256", files.get("model.safetensors")) + ".incomplete");
        assertFalse(Files.exists(part));
        assertFalse(Files.exists(snap.resolve("config.json")), "include patterns filter");
    }

    @Test
    void aTransferThatKeepsBreakingStopsAndTheNextCommandResumes() throws Exception {
        breakTransfers = 3;
        var e = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of("*.safetensors"), null));
        assertTrue(e.getMessage().contains("broke off 3 times") && e.getMessage().contains("run again to resume"), e.getMessage());
        Path part = dir.resolve("cache/models--org--tiny/blobs").resolve(hex("SHA-256", files.get("model.safetensors")) + ".incomplete");
        long have = Files.size(part);
        assertTrue(have > 0 && have < 300_000, "partial file kept: " + have);
        Path snap = hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of("*.safetensors"), null);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(requests.stream().anyMatch(r -> r.endsWith("bytes=" + have + "-")), "resumed with Range: " + requests);
    }

    @Test
    void aFileLargerThanTheListingSaysIsStoppedAtTheListedSize() throws Exception {
        extraBytes = 5_000_000;
        files.put("model.safetensors", java.util.Arrays.copyOf(files.get("model.safetensors"), 300_000));
        var e = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of("*.safetensors"), null));
        assertTrue(e.getMessage().contains("more than the 300000 bytes"), e.getMessage());
        try (var s = Files.list(dir.resolve("cache/models--org--tiny/blobs"))) {
            assertEquals(0, s.count(), "nothing left behind");
        }
    }

    @Test
    void aCommitThatIsNotFortyHexDigitsIsRefused() throws Exception {
        commitAnswer = "{\"sha\": \"../../../../tmp/x\"}";
        var e = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of(), null));
        assertTrue(e.getMessage().contains("40 hex digits"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("cache/models--org--tiny/snapshots")), "no folder made from the answer");
        for (String rev : new String[] {"../../..", "/etc", "a/../../b", "x\\y"}) {
            var r = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", rev, List.of(), null), rev);
            assertTrue(r.getMessage().contains("is not a revision"), r.getMessage());
            assertThrows(HubError.class, () -> hub().cached(Hub.RepoType.MODEL, "org/tiny", rev));
        }
        try (var walk = Files.walk(dir)) {
            assertTrue(walk.allMatch(p -> p.normalize().startsWith(dir)), "nothing written outside the cache");
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (var silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            HfHub hub = (HfHub) new HfHub("http://127.0.0.1:" + silent.getLocalPort(), null, dir.resolve("c"))
                    .progressTo(new PrintStream(new ByteArrayOutputStream())).timeout(java.time.Duration.ofMillis(500));
            long t0 = System.nanoTime();
            var e = assertThrows(HubError.class, () -> hub.download(Hub.RepoType.MODEL, "org/tiny", "main", List.of(), null));
            double s = (System.nanoTime() - t0) / 1e9;
            assertTrue(s < 5, "gave up after " + s + " s");
            assertTrue(e.getMessage().contains("no answer within") && e.getMessage().contains("HF_HUB_DOWNLOAD_TIMEOUT"), e.getMessage());
        }
    }

    @Test
    void aWrongChecksumIsRejectedAndThePartialFileRemoved() throws Exception {
        wrongSha = "f".repeat(64);
        var e = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of("model.safetensors"), null));
        assertTrue(e.getMessage().contains("arrived corrupted") && e.getMessage().contains("sha256"), e.getMessage());
        try (var s = Files.list(dir.resolve("cache/models--org--tiny/blobs"))) {
            assertEquals(0, s.count(), "nothing left in blobs");
        }
    }

    @Test
    void httpErrorsSayWhatToDo() {
        var denied = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/gated", "main", List.of(), null));
        assertTrue(denied.getMessage().contains("HF_TOKEN"), denied.getMessage());
        var missing = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/nope", "main", List.of(), null));
        assertTrue(missing.getMessage().contains("not found (HTTP 404)"), missing.getMessage());
    }

    @Test
    void fileNamesThatEscapeTheFolderAreRefused() {
        extraName = "../../evil.sh";
        var e = assertThrows(HubError.class, () -> hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of(), dir.resolve("local")));
        assertTrue(e.getMessage().contains("refusing file name '../../evil.sh'"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("evil.sh")));
        assertThrows(HubError.class, () -> HfHub.safeRelative("/etc/passwd", "r"));
        assertThrows(HubError.class, () -> HfHub.safeRelative("a/../../b", "r"));
        assertThrows(HubError.class, () -> HfHub.checkRepoId("../x"));
    }

    @Test
    void aHubIdResolvesToALoadableModelAndThenToTheCache() throws Exception {
        files.clear();
        Path src = embtune.Fixtures.dir("tiny-bert");
        try (var walk = Files.walk(src)) {
            for (Path p : (Iterable<Path>) walk::iterator)
                if (Files.isRegularFile(p)) files.put(src.relativize(p).toString(), Files.readAllBytes(p));
        }
        Path model = ModelResolver.resolve("org/tiny", hub());
        assertFalse(Files.exists(model.resolve("README.md")), "only the files a model needs");
        var e = embtune.Fixtures.json("tiny-bert/expected.json");
        try (var m = embtune.model.Embedder.load(model)) {
            assertTrue(embtune.Fixtures.maxDiff(m.embed(embtune.Fixtures.strings(e.get("texts"))), embtune.Fixtures.matrix(e.get("embeddings"))) < 1e-5);
        }
        server.stop(0); // offline now: the cache answers
        assertEquals(model, ModelResolver.resolve("org/tiny", hub()));
    }

    @Test
    void localDirGetsPlainCopies() throws Exception {
        Path local = hub().download(Hub.RepoType.MODEL, "org/tiny", "main", List.of("*.json", "notes.txt"), dir.resolve("local"));
        assertEquals("{\"model_type\": \"bert\"}", Files.readString(local.resolve("config.json")));
        assertFalse(Files.isSymbolicLink(local.resolve("config.json")));
        assertTrue(Files.exists(local.resolve("sub/notes.txt")));
        assertFalse(Files.exists(local.resolve("model.safetensors")));
    }

    @Test
    void aHubDatasetOfParquetFilesLoadsThroughPagedTreesWithTheStsbSubsets() throws Exception {
        Path pq = embtune.data.ParquetTestAccess.stsbParquet(dir.resolve("p.parquet"));
        datasetFiles.put("README.md", "# stsb".getBytes(StandardCharsets.UTF_8));
        datasetFiles.put("data/train-00000-of-00001.parquet", Files.readAllBytes(pq));
        datasetFiles.put("data/test-00000-of-00001.parquet", Files.readAllBytes(pq));
        {
            var opts = embtune.data.LoadOptions.defaults().hub(hub());
            var all = embtune.data.Dataset.load("org/stsb", opts);
            assertEquals(4, all.size(), "the train file only");
            var positive = embtune.data.Dataset.load("org/stsb:positive#2", opts);
            assertEquals(2, positive.size());
            assertTrue(positive.records().stream().allMatch(r -> r.label() >= 0.75f));
            assertTrue(requests.stream().anyMatch(r -> r.contains("/tree/" + COMMIT) ) && requests.stream().filter(r -> r.contains("/api/datasets/org/stsb/tree/")).count() == 2,
                    "both tree pages were read: " + requests);
            assertFalse(requests.stream().anyMatch(r -> r.endsWith("README.md")), "only data files are fetched");
        }
    }

    @Test
    void linkHeadersGiveTheNextPage() {
        assertEquals("https://h/api/x?cursor=abc", HfHub.nextPage("<https://h/api/x?cursor=abc>; rel=\"next\""));
        assertEquals("https://h/n", HfHub.nextPage("<https://h/p>; rel=\"prev\", <https://h/n>; rel=\"next\""));
        assertNull(HfHub.nextPage("<https://h/p>; rel=\"prev\""));
        assertNull(HfHub.nextPage(null));
    }
}
