package embtune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixtures are what the real libraries compute: fixtures/generate.py recomputes every expected
 * number (embeddings, LoRA merges, losses and gradients, metrics, training steps) from the
 * committed inputs with transformers / sentence-transformers / peft / torch and compares.
 */
@Tag("python")
class FixtureGeneratorTest {
    @TempDir Path dir;

    @Test
    void theGeneratorReproducesEveryCommittedNumber() {
        PythonRef.Result r = PythonRef.script("fixtures/generate.py", "check", Fixtures.ROOT.toString());
        assertEquals(0, r.code(), r.output());
        assertTrue(r.stdout().matches("(?s).*\\b[1-9]\\d{4,} numbers checked .*: 0 mismatches.*"), r.stdout());
    }

    @Test
    void aChangedNumberIsCaught() throws Exception {
        Path copy = dir.resolve("fixtures");
        try (var walk = Files.walk(Fixtures.ROOT)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = copy.resolve(Fixtures.ROOT.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode losses = (ObjectNode) json.readTree(copy.resolve("losses.json").toFile());
        ((ObjectNode) losses.get("losses").get(0)).put("loss", losses.get("losses").get(0).get("loss").asDouble() + 1e-4);
        json.writeValue(copy.resolve("losses.json").toFile(), losses);
        PythonRef.Result r = PythonRef.script("fixtures/generate.py", "check", copy.toString());
        assertEquals(1, r.code(), r.output());
        assertTrue(r.stdout().contains("MISMATCH losses cosine_similarity loss"), r.stdout());
    }
}
