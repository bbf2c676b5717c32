package embtune.spark;

import static embtune.spark.SparkTests.assertSameVectors;
import static embtune.spark.SparkTests.embedInProcess;
import static embtune.spark.SparkTests.fixture;
import static embtune.spark.SparkTests.vectors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import embtune.data.DataError;
import embtune.ModelError;
import embtune.vision.ImageText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.Metadata;
import org.junit.jupiter.api.Test;

/** EmbedCorpus on Spark in local mode with two task threads: the same vectors as in-process embedding. */
class EmbedCorpusTest extends LocalSpark {
    @Test
    void jsonlCorpusGetsTheVectorsOfInProcessEmbedding() throws Exception {
        List<String> texts = SparkTests.sentences(600);
        Path in = SparkTests.jsonl(tmp.resolve("corpus.jsonl"), texts);
        Path out = tmp.resolve("corpus.parquet");
        EmbedCorpus.Result r = EmbedCorpus.of(ModelSource.resolve(fixture("tiny-bert").toString(), null, null))
                .input(in.toString()).output(out.toString()).partitions(4).window(100).run(spark);
        assertEquals(600, r.rows());
        assertEquals(4, r.partitions());
        assertSameVectors(embedInProcess(fixture("tiny-bert"), null, texts), vectors(spark, out, "id"), "d");

        var schema = spark.read().parquet(out.toString()).schema();
        assertEquals(List.of("id", "text", "embedding"), List.of(schema.fieldNames()));
        Metadata m = schema.apply("embedding").metadata();
        assertEquals("tiny-bert", m.getString("embtune.model"));
        assertEquals(r.dimension(), m.getLong("embtune.dimension"));
        assertTrue(m.contains("embtune.normalized"));
    }

    @Test
    void shippedModelAndAdapterAreUnpackedForTheTasks() throws Exception {
        List<String> texts = SparkTests.sentences(40);
        Path in = SparkTests.jsonl(tmp.resolve("shipped.jsonl"), texts);
        Path out = tmp.resolve("shipped.parquet");
        ModelSource model = ModelSource.resolve(fixture("tiny-qwen3").toString(), fixture("tiny-qwen3-lora").toString(), null);
        EmbedCorpus.of(model).ship(true).input(in.toString()).output(out.toString()).run(spark);
        assertSameVectors(embedInProcess(fixture("tiny-qwen3"), fixture("tiny-qwen3-lora"), texts), vectors(spark, out, "id"), "d");
    }

    @Test
    void adapterOnItsBase() throws Exception {
        List<String> texts = SparkTests.sentences(120);
        Path in = SparkTests.jsonl(tmp.resolve("adapter.jsonl"), texts);
        Path out = tmp.resolve("adapter.parquet");
        ModelSource model = ModelSource.resolve(fixture("tiny-qwen3").toString(), fixture("tiny-qwen3-lora").toString(), null);
        EmbedCorpus.of(model).input(in.toString()).output(out.toString()).partitions(3).run(spark);
        float[][] expected = embedInProcess(fixture("tiny-qwen3"), fixture("tiny-qwen3-lora"), texts);
        assertSameVectors(expected, vectors(spark, out, "id"), "d");
        assertEquals("tiny-qwen3 + tiny-qwen3-lora", spark.read().parquet(out.toString()).schema().apply("embedding").metadata()
                .getString("embtune.model"));
    }

    @Test
    void gmeRowsWithImagesRelativeToTheirFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("gme"));
        for (String png : List.of("small.png", "wide.png")) Files.copy(fixture("tiny-gme").resolve(png), dir.resolve(png));
        Files.write(dir.resolve("items.jsonl"), List.of(
                "{\"id\": 0, \"text\": \"A man is playing a guitar.\"}",
                "{\"id\": 1, \"image\": \"small.png\"}",
                "{\"id\": 2, \"image\": \"wide.png\", \"text\": \"a wide picture\"}"));
        Path out = tmp.resolve("gme.parquet");
        EmbedCorpus.of(ModelSource.resolve(fixture("tiny-gme").toString(), null, null))
                .input(dir.resolve("items.jsonl").toString()).output(out.toString()).run(spark);
        float[][] expected = embedInProcess(fixture("tiny-gme"), null, List.of("A man is playing a guitar.",
                ImageText.image(dir.resolve("small.png")), ImageText.image(dir.resolve("wide.png")) + "a wide picture"));
        assertSameVectors(expected, vectors(spark, out, "id"), "");
    }

    @Test
    void textLinesAreNumbered() throws Exception {
        List<String> texts = SparkTests.sentences(50);
        List<String> lines = new ArrayList<>(texts);
        lines.add(10, "   "); // a blank line is no document, but it keeps its number
        Files.write(tmp.resolve("lines.txt"), lines);
        Path out = tmp.resolve("lines.parquet");
        EmbedCorpus.Result r = EmbedCorpus.of(ModelSource.resolve(fixture("tiny-bert").toString(), null, null))
                .input(tmp.resolve("lines.txt").toString()).output(out.toString()).run(spark);
        assertEquals(50, r.rows());
        Map<String, float[]> got = vectors(spark, out, "line");
        float[][] expected = embedInProcess(fixture("tiny-bert"), null, texts);
        for (int i = 0; i < texts.size(); i++) {
            long line = i < 10 ? i + 1 : i + 2;
            float[] g = got.get(String.valueOf(line));
            for (int d = 0; d < g.length; d++) assertEquals(expected[i][d], g[d], 1e-6, "line " + line);
        }
    }

    // ---- bad input: one line each, before work where it can be checked ----------------------

    @Test
    void missingColumnNamesTheColumnsThereAre() throws Exception {
        Path in = tmp.resolve("sentences.jsonl");
        Files.write(in, List.of("{\"id\": 1, \"sentence\": \"a\"}"));
        var e = assertThrows(DataError.class, () -> embed("tiny-bert", in, tmp.resolve("x1.parquet")));
        assertEquals(in + ": field 'text': no such column (the input has id, sentence); choose one with --text_column", e.getMessage());
    }

    @Test
    void rowWithoutTextNamesFileLineAndId() throws Exception {
        Path in = tmp.resolve("holes.jsonl");
        Files.write(in, List.of("{\"id\": \"a\", \"text\": \"fine\"}", "{\"id\": \"b\", \"text\": \"also fine\"}",
                "{\"id\": \"c\", \"text\": \" \"}", "{\"id\": \"d\"}"));
        var e = assertThrows(DataError.class, () -> embed("tiny-bert", in, tmp.resolve("x2.parquet")));
        assertEquals(in + ":3: field 'text': a row without text (id c)", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("x2.parquet")));
    }

    @Test
    void lineThatIsNotJson() throws Exception {
        Path in = tmp.resolve("broken.jsonl");
        Files.write(in, List.of("{\"id\": \"a\", \"text\": \"fine\"}", "{\"id\": \"b\", \"text\": "));
        var e = assertThrows(DataError.class, () -> embed("tiny-bert", in, tmp.resolve("x3.parquet")));
        assertEquals(in + ":2: not a JSON object (one per line)", e.getMessage());
    }

    @Test
    void existingOutputIsRefusedUnlessOverwrite() throws Exception {
        Path in = SparkTests.jsonl(tmp.resolve("small.jsonl"), SparkTests.sentences(5));
        Path out = Files.createDirectories(tmp.resolve("taken.parquet"));
        Files.writeString(out.resolve("keep.txt"), "earlier work");
        var e = assertThrows(IllegalArgumentException.class, () -> embed("tiny-bert", in, out));
        assertEquals(out + " exists; pass --mode overwrite to replace it", e.getMessage());
        assertEquals("earlier work", Files.readString(out.resolve("keep.txt")));
        EmbedCorpus.of(ModelSource.resolve(fixture("tiny-bert").toString(), null, null)).input(in.toString()).output(out.toString())
                .overwrite(true).run(spark);
        assertEquals(5, spark.read().parquet(out.toString()).count());
    }

    @Test
    void modelFolderAnExecutorCannotRead() throws Exception {
        Path in = SparkTests.jsonl(tmp.resolve("m.jsonl"), SparkTests.sentences(5));
        // checked on the driver, before any task
        var missing = assertThrows(RuntimeException.class, () -> embed(tmp.resolve("no-model").toString(), in, tmp.resolve("x4.parquet")));
        assertTrue(missing.getMessage().contains(tmp.resolve("no-model").toString()) && !missing.getMessage().contains("\n"), missing.getMessage());
        assertFalse(Files.exists(tmp.resolve("x4.parquet")));
        // what an executor meets when the folder is not where the driver saw it (--ship_model false, no shared mount)
        ModelSource elsewhere = new ModelSource(tmp.resolve("only-on-the-driver").toString(), null, null, null, null, 32, false);
        var e = assertThrows(ModelError.class, () -> SparkFailures.rethrowCause(() ->
                spark.range(1).javaRDD().map(x -> ExecutorModel.forTask(elsewhere).dimension()).collect()));
        assertEquals(tmp.resolve("only-on-the-driver") + ": this executor cannot read the model folder; give a path every executor sees,"
                + " or ship it (--ship_model true)", e.getMessage());
    }

    private static void embed(String model, Path in, Path out) {
        String m = model.contains("/") ? model : fixture(model).toString();
        EmbedCorpus.of(ModelSource.resolve(m, null, null)).input(in.toString()).output(out.toString()).run(spark);
    }
}
