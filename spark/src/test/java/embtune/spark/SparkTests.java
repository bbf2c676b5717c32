package embtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.model.Embedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Fixtures, corpora and comparisons the Spark tests share. */
final class SparkTests {
    /** The library's golden fixtures (tests run from spark/). */
    static final Path FIXTURES = Path.of("..", "lib", "src", "test", "resources", "fixtures").toAbsolutePath().normalize();

    private SparkTests() {}

    static Path fixture(String name) {
        return FIXTURES.resolve(name);
    }

    /** The first {@code n} sentences of the fixtures' corpus: the texts the tiny tokenizers were trained on. */
    static List<String> sentences(int n) throws IOException {
        List<String> all = Files.readAllLines(fixture("corpus.txt"));
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < n; i++) out.add(all.get(i % all.size()) + (i < all.size() ? "" : " (" + i + ")"));
        return out;
    }

    /** A JSON lines corpus of {"id": "d0", "text": ...} rows. */
    static Path jsonl(Path file, List<String> texts) throws IOException {
        return jsonl(file, texts, 0);
    }

    /** The same, ids counting from {@code first}. */
    static Path jsonl(Path file, List<String> texts, int first) throws IOException {
        var json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) lines.add(json.writeValueAsString(Map.of("id", "d" + (first + i), "text", texts.get(i))));
        Files.write(file, lines);
        return file;
    }

    static SparkSession local(int cores) {
        return SparkSession.builder().master("local[" + cores + "]").appName("embtune-spark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    }

    /** Output rows by id -> vector. */
    static Map<String, float[]> vectors(SparkSession spark, Path parquet, String idColumn) {
        Map<String, float[]> out = new HashMap<>();
        for (Row r : spark.read().parquet(parquet.toString()).collectAsList()) {
            List<Float> v = r.getList(r.fieldIndex(EmbedCorpus.EMBEDDING));
            float[] f = new float[v.size()];
            for (int i = 0; i < f.length; i++) f[i] = v.get(i);
            assertTrue(out.put(String.valueOf((Object) r.getAs(idColumn)), f) == null, "id " + r.getAs(idColumn) + " written twice");
        }
        return out;
    }

    /** Every row's vector equals the in-process embedding of the same input, to 1e-6. */
    static void assertSameVectors(float[][] expected, Map<String, float[]> got, String idPrefix) {
        assertEquals(expected.length, got.size(), "rows written");
        for (int i = 0; i < expected.length; i++) {
            float[] g = got.get(idPrefix + i);
            assertTrue(g != null, "row " + idPrefix + i + " missing");
            assertEquals(expected[i].length, g.length, "width of row " + i);
            for (int d = 0; d < g.length; d++)
                assertEquals(expected[i][d], g[d], 1e-6, "row " + idPrefix + i + ", dimension " + d);
        }
    }

    static float[][] embedInProcess(Path model, Path adapter, List<String> texts) {
        try (Embedder m = Embedder.load(model)) {
            if (adapter != null) embtune.lora.Adapter.load(m, adapter);
            return m.embed(texts);
        }
    }
}
