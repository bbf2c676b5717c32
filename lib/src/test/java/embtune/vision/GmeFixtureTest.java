package embtune.vision;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.model.Embedder;
import embtune.model.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tiny-gme: the GME recipe's ids and embeddings of text, image and image+text items, as transformers computes them. */
public class GmeFixtureTest {
    static final double TOL = 1e-5;

    /** expected.json's items as embtune strings: the image (if any) before the text, as GME's recipe puts it. */
    public static List<String> items(JsonNode items) {
        Path dir = Fixtures.dir("tiny-gme");
        List<String> out = new ArrayList<>();
        for (JsonNode it : items) {
            String text = it.path("text").asText("");
            out.add(it.has("image") ? ImageText.of(ImageText.TAG + text, List.of(dir.resolve(it.get("image").asText()))) : text);
        }
        return out;
    }

    @Test
    void reproducesTransformersIdsAndEmbeddings() {
        JsonNode e = Fixtures.json("tiny-gme/expected.json");
        List<String> items = items(e.get("items"));
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-gme"))) {
            assertTrue(m.hasVision());
            TextTokenizer.Batch batch = m.encode(items);
            assertArrayEquals(Fixtures.longs(e.get("input_ids")), batch.ids(), "input_ids");
            assertArrayEquals(Fixtures.longs(e.get("attention_mask")), batch.mask(), "attention_mask");
            float[][] want = Fixtures.matrix(e.get("embeddings"));
            // all in one batch (mixed text and images), and each item alone (text-only batches take the plain RoPE path)
            double together = Fixtures.maxDiff(m.embed(items), want);
            assertTrue(together < TOL, "embeddings differ by " + together);
            for (int i = 0; i < items.size(); i++) {
                double alone = Fixtures.maxDiff(m.embed(items.get(i))[0], want[i]);
                assertTrue(alone < TOL, "item " + i + " alone differs by " + alone);
            }
        }
    }

    /** The hub's GME folders predate text_config: text fields at the top, rope_scaling {"type": "mrope"}, in_chans. */
    @Test
    void readsTheOlderConfigLayoutOfTheHubsGmeFolders(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        Path copy = dir.resolve("gme-old");
        java.nio.file.Files.createDirectories(copy);
        try (var files = java.nio.file.Files.list(Fixtures.dir("tiny-gme"))) {
            for (Path f : (Iterable<Path>) files::iterator) java.nio.file.Files.copy(f, copy.resolve(f.getFileName()));
        }
        var c = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(Fixtures.dir("tiny-gme").resolve("config.json").toFile());
        var text = (com.fasterxml.jackson.databind.node.ObjectNode) c.remove("text_config");
        var rope = (com.fasterxml.jackson.databind.node.ObjectNode) text.remove("rope_parameters");
        text.remove("model_type");
        c.setAll(text);
        c.put("rope_theta", rope.get("rope_theta").asDouble());
        c.putObject("rope_scaling").put("type", "mrope").set("mrope_section", rope.get("mrope_section"));
        var vision = (com.fasterxml.jackson.databind.node.ObjectNode) c.get("vision_config");
        vision.set("in_chans", vision.remove("in_channels"));
        vision.remove("hidden_act");
        vision.remove("rope_parameters");
        json.writeValue(copy.resolve("config.json").toFile(), c);
        JsonNode e = Fixtures.json("tiny-gme/expected.json");
        List<String> items = items(e.get("items"));
        try (Embedder m = Embedder.load(copy)) {
            double d = Fixtures.maxDiff(m.embed(items), Fixtures.matrix(e.get("embeddings")));
            assertTrue(d < TOL, "embeddings differ by " + d);
        }
    }
}
