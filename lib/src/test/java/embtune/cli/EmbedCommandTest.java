package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EmbedCommandTest {
    private static String run(String stdin, String... argv) throws Exception {
        var out = new ByteArrayOutputStream();
        EmbedCommand.run(EmbedCommand.cli().parse(argv), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonlFromStdinMatchesTheFixtureInInputOrder() throws Exception {
        var e = Fixtures.json("tiny-bert/expected.json");
        String stdin = String.join("\n", Fixtures.strings(e.get("texts"))) + "\n";
        String[] lines = run(stdin, "--model", Fixtures.dir("tiny-bert").toString()).split("\n");
        assertEquals(4, lines.length);
        float[][] got = new float[4][];
        for (int i = 0; i < 4; i++) got[i] = new ObjectMapper().readValue(lines[i], float[].class);
        assertTrue(Fixtures.maxDiff(got, Fixtures.matrix(e.get("embeddings"))) < 1e-5);
    }

    /** ONNX Runtime on embtune's ONNX graph gives sentence-transformers' vectors too; a model it cannot run is refused by name. */
    @Test
    void onnxRuntimeBackendMatchesTheFixture() throws Exception {
        var e = Fixtures.json("tiny-bert/expected.json");
        String stdin = String.join("\n", Fixtures.strings(e.get("texts"))) + "\n";
        String[] lines = run(stdin, "--model", Fixtures.dir("tiny-bert").toString(), "--infer_backend", "onnxruntime").split("\n");
        float[][] got = new float[4][];
        for (int i = 0; i < 4; i++) got[i] = new ObjectMapper().readValue(lines[i], float[].class);
        assertTrue(Fixtures.maxDiff(got, Fixtures.matrix(e.get("embeddings"))) < 1e-5);

        var qwen = assertThrows(Cli.UsageError.class, () -> run("", "--model", Fixtures.dir("tiny-qwen3").toString(), "--infer_backend", "onnxruntime", "a"));
        assertTrue(qwen.getMessage().startsWith("--infer_backend onnxruntime: ONNX export covers BERT models"), qwen.getMessage());
        var bad = assertThrows(Cli.UsageError.class, () -> run("", "--model", "no-such-folder", "--infer_backend", "tensorrt", "a"));
        assertEquals("--infer_backend tensorrt: choose auto, pt or onnxruntime", bad.getMessage(), "checked before the model loads");
    }

    @Test
    void csvAndTableFormats() throws Exception {
        String csv = run("", "--model", Fixtures.dir("tiny-bert").toString(), "--format", "csv", "a", "b");
        assertEquals(2, csv.split("\n").length);
        assertEquals(32, csv.split("\n")[0].split(",").length);
        String table = run("", "--model", Fixtures.dir("tiny-bert").toString(), "--format", "table", "a dog", "a cat");
        String[] v = run("", "--model", Fixtures.dir("tiny-bert").toString(), "a dog", "a cat").split("\n");
        float[] u = new ObjectMapper().readValue(v[0], float[].class), w = new ObjectMapper().readValue(v[1], float[].class);
        String cos = String.format(java.util.Locale.ROOT, "%.3f", embtune.model.Embedder.cosine(u, w));
        var rows = table.lines().filter(l -> l.contains("a dog") || l.contains("a cat")).toList();
        assertEquals(2, rows.size(), table);
        assertTrue(rows.get(0).matches(".*a dog\\s*\\|\\s*1\\.000\\s*\\|\\s*" + java.util.regex.Pattern.quote(cos) + ".*"), cos + " in\n" + table);
        assertTrue(rows.get(1).matches(".*a cat\\s*\\|\\s*" + java.util.regex.Pattern.quote(cos) + "\\s*\\|\\s*1\\.000.*"), cos + " in\n" + table);
        assertThrows(Cli.UsageError.class, () -> run("", "--model", Fixtures.dir("tiny-bert").toString()), "no texts");
    }

    @Test
    void aFileThatIsNotUtf8NamesItsLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var f = dir.resolve("texts.txt");
        java.nio.file.Files.write(f, "first\nsecond \u00e9t\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        var e = assertThrows(embtune.data.DataError.class, () -> run("", "--model", Fixtures.dir("tiny-bert").toString(), "--file", f.toString()));
        assertTrue(e.getMessage().startsWith(f + ":2: not valid UTF-8"), e.getMessage());
    }

    @Test
    void gmeItemsFromAFileAndOneImageMatchTransformers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var e = Fixtures.json("tiny-gme/expected.json");
        float[][] want = Fixtures.matrix(e.get("embeddings")); // items: text, plain.png, wide.png + text, small.png, square.png + text
        var gme = Fixtures.dir("tiny-gme");
        java.nio.file.Files.copy(gme.resolve("wide.png"), dir.resolve("wide.png"));
        var items = dir.resolve("items.jsonl");
        java.nio.file.Files.writeString(items, "A man is playing a guitar.\n\n{\"image\": \"wide.png\", \"text\": \"a wide picture\"}\n"
                + "{\"image\": \"" + gme.toAbsolutePath().resolve("small.png") + "\"}\n");
        String[] lines = run("", "--model", gme.toString(), "--file", items.toString()).split("\n");
        assertEquals(3, lines.length);
        ObjectMapper json = new ObjectMapper();
        assertTrue(Fixtures.maxDiff(json.readValue(lines[0], float[].class), want[0]) < 1e-5);
        assertTrue(Fixtures.maxDiff(json.readValue(lines[1], float[].class), want[2]) < 1e-5);
        assertTrue(Fixtures.maxDiff(json.readValue(lines[2], float[].class), want[3]) < 1e-5);
        String one = run("", "--model", gme.toString(), "--image", gme.resolve("square.png").toString(), "A", "woman", "slices", "an", "onion.");
        assertTrue(Fixtures.maxDiff(json.readValue(one.strip(), float[].class), want[4]) < 1e-5);
        // a bad item names its line; a text cannot smuggle in an image path
        java.nio.file.Files.writeString(items, "fine\n{\"image\": \"missing.png\"}\n");
        var bad = assertThrows(embtune.data.DataError.class, () -> run("", "--model", gme.toString(), "--file", items.toString()));
        assertTrue(bad.getMessage().contains(":2:") && bad.getMessage().contains("no such image file"), bad.getMessage());
        assertThrows(embtune.data.DataError.class, () -> run("<image:" + gme.toAbsolutePath().resolve("plain.png") + ">\n", "--model", gme.toString()));
    }
}
