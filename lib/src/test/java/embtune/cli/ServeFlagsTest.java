package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** serve's adapter and timeout flags, as ms-swift spells several adapters: --adapters a=X b=Y. */
class ServeFlagsTest {
    @TempDir Path dir;

    Map<String, Path> named(String... argv) {
        return ServeCommand.namedAdapters(ServeCommand.cli().parse(argv));
    }

    String refused(String... argv) {
        return assertThrows(Cli.UsageError.class, () -> named(argv)).getMessage();
    }

    @Test
    void severalNamedAdaptersOneBareOneOrNone() throws Exception {
        Path x = Files.createDirectories(dir.resolve("x")), y = Files.createDirectories(dir.resolve("y"));
        assertEquals(Map.of("a", x, "b", y), named("--adapters", "a=" + x, "b=" + y));
        assertEquals(List.of("a", "b"), List.copyOf(named("--adapters", "a=" + x, "--adapters", "b=" + y).keySet()), "in order");
        assertEquals(Map.of(), named("--adapters", x.toString()), "a bare CKPT is applied to the base, not served by name");
        assertEquals(Map.of(), named());
        assertTrue(refused("--adapters", x.toString(), y.toString()).contains("several adapters need a name each, NAME=CKPT"));
        assertTrue(refused("--adapters", "a=" + x, "a=" + y).contains("names a twice"));
        assertTrue(refused("--adapters", "a=" + dir.resolve("missing")).contains("is not a folder"));
        assertTrue(refused("a=" + x).contains("unexpected argument 'a=" + x + "'"));
    }

    @Test
    void timeoutsAreSecondsAboveZero() {
        for (String bad : List.of("0", "-1", "abc")) {
            var e = assertThrows(Cli.UsageError.class, () -> ServeCommand.start(ServeCommand.cli().parse("--header_timeout", bad, "--model", dir.toString())));
            assertTrue(e.getMessage().contains("--header_timeout"), e.getMessage());
        }
    }

    @Test
    void workersAreAWholeNumberFromZero() {
        for (String bad : List.of("-1", "two")) {
            var e = assertThrows(Cli.UsageError.class, () -> ServeCommand.start(ServeCommand.cli().parse("--workers", bad, "--model", dir.toString())));
            assertTrue(e.getMessage().contains("--workers"), e.getMessage());
        }
    }

    /** serve's default backend: ONNX Runtime for a BERT model, each of the two workers' passes on its share of the cores; libtorch for a Qwen3. */
    @Test
    void aBertModelIsServedByOnnxRuntimeByDefault() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        ServeCommand.Served bert, qwen;
        try {
            bert = ServeCommand.start(ServeCommand.cli().parse("--model", embtune.Fixtures.dir("tiny-bert").toString(), "--port", "0", "--workers", "2"));
            qwen = ServeCommand.start(ServeCommand.cli().parse("--model", embtune.Fixtures.dir("tiny-qwen3").toString(), "--port", "0"));
        } finally {
            System.setErr(old);
        }
        try (bert; qwen) {
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
            assertTrue(String.valueOf(bert.model().passes()).endsWith(", " + threads + " thread" + (threads == 1 ? "" : "s") + " each"),
                    String.valueOf(bert.model().passes()));
            assertNull(qwen.model().passes());
            assertTrue(err.toString().contains("embtune serve: passes on ONNX Runtime"), err.toString());
            assertTrue(err.toString().contains("libtorch runs every pass (--infer_backend auto; not ONNX Runtime: ONNX export covers BERT models"), err.toString());
            var http = java.net.http.HttpClient.newHttpClient();
            var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(bert.server().address() + "/v1/embeddings"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"input\": \"A man is playing a guitar.\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            float[] got = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("data").get(0).get("embedding").traverse(new com.fasterxml.jackson.databind.ObjectMapper()).readValueAs(float[].class);
            try (embtune.model.Embedder plain = embtune.model.Embedder.load(embtune.Fixtures.dir("tiny-bert"))) {
                assertTrue(embtune.Fixtures.maxDiff(plain.embed("A man is playing a guitar.")[0], got) < 1e-5);
            }
        }
        var e = assertThrows(Cli.UsageError.class, () -> ServeCommand.start(ServeCommand.cli().parse("--infer_backend", "ort", "--model", dir.toString())));
        assertTrue(e.getMessage().startsWith("--infer_backend ort: choose"), e.getMessage());
    }

    @Test
    void namedAdaptersAndABrokenFolderInAdaptersDirAtStart() throws Exception {
        Path adapters = Files.createDirectories(dir.resolve("adapters/broken"));
        Files.writeString(adapters.resolve("adapter_config.json"), "{not json");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        ServeCommand.Served s;
        try {
            s = ServeCommand.start(ServeCommand.cli().parse("--model", embtune.Fixtures.dir("tiny-qwen3").toString(), "--port", "0",
                    "--adapters", "peft=" + embtune.Fixtures.dir("tiny-qwen3-lora"), "--adapters_dir", dir.resolve("adapters").toString()));
        } finally {
            System.setErr(old);
        }
        try (s) {
            assertEquals(List.of("peft"), s.adapters().names(), "the broken folder is skipped, the server starts");
            assertTrue(err.toString().contains("skipped adapter broken: "), err.toString());
        }
    }
}
