package embtune.vision;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.data.DataKind;
import embtune.data.Dataset;
import embtune.data.Record;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ms-swift's multimodal rows: <image> tags take the row's images in order, paths relative to the data file. */
class GmeDataTest {
    @TempDir Path dir;

    @Test
    void tagsTakeImagesInSwiftOrder() throws Exception {
        Path img = Files.createDirectories(dir.resolve("img"));
        for (String n : List.of("a.png", "b.png", "c.png", "d.png"))
            Files.copy(Fixtures.dir("tiny-gme").resolve("plain.png"), img.resolve(n));
        Path data = dir.resolve("mm.jsonl");
        Files.writeString(data, String.join("\n",
                "{\"query\": \"<image>\", \"response\": \"sentence\", \"images\": \"img/a.png\"}",
                "{\"query\": \"<image>sentence1\", \"response\": \"<image>sentence2\", \"rejected_response\": [\"<image>sentence1\", \"<image>sentence2\"], "
                        + "\"images\": [\"img/a.png\", \"img/b.png\", \"img/c.png\", \"" + img.resolve("d.png") + "\"]}") + "\n");
        Path messages = dir.resolve("messages.jsonl");
        Files.writeString(messages, String.join("\n",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"<image>what is this\"}], \"positive_messages\": [[{\"role\": \"user\", "
                        + "\"content\": \"a gradient\"}]], \"images\": [\"img/c.png\"]}") + "\n");
        Dataset d = Dataset.load(data.toString());
        Record r0 = d.records().get(0);
        assertEquals(ImageText.image(img.resolve("a.png")), r0.anchor());
        assertEquals("sentence", r0.positive());
        Record r1 = d.records().get(1);
        assertEquals(ImageText.image(img.resolve("a.png")) + "sentence1", r1.anchor());
        assertEquals(ImageText.image(img.resolve("b.png")) + "sentence2", r1.positive());
        assertEquals(List.of(ImageText.image(img.resolve("c.png")) + "sentence1", ImageText.image(img.resolve("d.png")) + "sentence2"), r1.negatives());
        assertEquals(List.of(img.resolve("c.png")), ImageText.parse(Dataset.load(messages.toString()).records().get(0).anchor()).images());
        assertEquals("[a.png]sentence1", ImageText.display(r1.anchor()));
    }

    @Test
    void imageTextRoundTrips() {
        String s = ImageText.of("<image>a dog and <image>", List.of(Path.of("/x/dog.png"), Path.of("/x/cat.png")));
        assertEquals("<image:/x/dog.png>a dog and <image:/x/cat.png>", s);
        ImageText t = ImageText.parse(s);
        assertEquals(3, t.parts().size());
        assertEquals("a dog and ", t.parts().get(1).text());
        assertFalse(ImageText.hasImages("a <image> tag alone"));
        assertThrows(IllegalArgumentException.class, () -> ImageText.of("<image>", List.of()));
    }

    @Test
    void textModelsRefuseImages() {
        try (var m = embtune.model.Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            var e = assertThrows(embtune.ModelError.class, () -> m.embed(ImageText.image(Fixtures.dir("tiny-gme").resolve("plain.png"))));
            assertTrue(e.getMessage().contains("is a text model"), e.getMessage());
        }
    }
}
