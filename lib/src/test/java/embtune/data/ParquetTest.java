package embtune.data;

import static org.junit.jupiter.api.Assertions.*;

import blue.strategic.parquet.ParquetWriter;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet as hub data sets store it (sentence1, sentence2, score), through the same row mapping as JSONL. */
class ParquetTest {
    @TempDir Path dir;

    record Row(String s1, String s2, Double score) {}

    static Path write(Path file, List<Row> rows) throws Exception {
        MessageType schema = Types.buildMessage()
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("sentence1")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("sentence2")
                .optional(PrimitiveTypeName.DOUBLE).named("score")
                .named("stsb");
        try (ParquetWriter<Row> w = ParquetWriter.writeFile(schema, file.toFile(), (r, out) -> {
            if (r.s1() != null) out.write("sentence1", r.s1()); // a value left out is a null
            if (r.s2() != null) out.write("sentence2", r.s2());
            if (r.score() != null) out.write("score", r.score());
        })) {
            for (Row r : rows) w.write(r);
        }
        return file;
    }

    static final List<Row> ROWS = List.of(new Row("A plane is taking off.", "An air plane is taking off.", 1.0),
            new Row("A man is playing a flute.", "A man is playing a bamboo flute.", 0.76),
            new Row("A man spreads cheese on a pizza.", "A man is spreading cheese on an uncooked pizza.", 0.76),
            new Row("Three men are playing chess.", "Two men are playing chess.", 0.52));

    @Test
    void scoredPairsAndThePositiveSubset() throws Exception {
        Path f = write(dir.resolve("train-00000-of-00001.parquet"), ROWS);
        Dataset all = Dataset.load(f.toString());
        assertEquals(4, all.size());
        assertEquals("A plane is taking off.", all.get(0).anchor());
        assertEquals("An air plane is taking off.", all.get(0).positive());
        assertEquals(0.52f, all.get(3).label(), 1e-6);
        Dataset positive = Dataset.load(f + ":positive");
        assertEquals(3, positive.size(), "score >= 0.75 only");
    }

    @Test
    void aMissingTextNamesFileRowAndColumn() throws Exception {
        Path f = write(dir.resolve("bad.parquet"), List.of(ROWS.get(0), new Row("only an anchor", null, 0.3)));
        DataError e = assertThrows(DataError.class, () -> Dataset.load(f.toString()));
        assertTrue(e.getMessage().contains("bad.parquet") && e.getMessage().contains("2") && e.getMessage().contains("sentence2"), e.getMessage());
    }
}
