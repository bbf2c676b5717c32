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
}
