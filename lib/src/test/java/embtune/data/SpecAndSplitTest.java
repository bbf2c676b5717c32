package embtune.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecAndSplitTest {
    @TempDir Path dir;

    @Test
    void specParts() {
        assertEquals(new DatasetSpec("data/x.jsonl", "positive", 100), DatasetSpec.parse("data/x.jsonl:positive#100"));
        assertEquals(new DatasetSpec("x.jsonl", null, 5), DatasetSpec.parse("x.jsonl#5"));
        assertEquals(new DatasetSpec("sentence-transformers/stsb", "positive", null), DatasetSpec.parse("sentence-transformers/stsb:positive"));
        assertEquals(new DatasetSpec("C:\\data\\x.jsonl", null, null), DatasetSpec.parse("C:\\data\\x.jsonl"));
        assertTrue(assertThrows(DataError.class, () -> DatasetSpec.parse("x.jsonl#0")).getMessage().contains("#N takes a whole number"));
    }

    private Dataset numbered(int n) {
        String[] lines = new String[n];
        for (int i = 0; i < n; i++) lines[i] = "{\"query\": \"q" + i + "\", \"response\": \"p" + i + "\", \"label\": " + (i % 5) / 4.0 + "}";
        return Dataset.load(DataFiles.write(dir, "n" + n + ".jsonl", lines).toString());
    }

    @Test
    void positiveSubsetKeepsScoresFromThreeQuarters() {
        numbered(10);
        Dataset d = Dataset.load(dir.resolve("n10.jsonl") + ":positive");
        for (Record r : d) assertTrue(r.label() >= 0.75f);
        assertEquals(4, d.size()); // labels 0.75 and 1.0, twice each
        assertEquals(6, d.loadReport().filtered());
        // stsb:positive is the InfoNCE view of a scored set: its scores do not stop infonce
        Dataset sts = Dataset.load(DataFiles.bundled("stsb-train.jsonl") + ":positive");
        assertEquals(DataKind.SCORES, sts.kind());
        assertDoesNotThrow(() -> sts.requireFits(embtune.loss.LossType.INFONCE));
        assertThrows(IllegalArgumentException.class, () -> Dataset.load(dir.resolve("n10.jsonl") + ":nope"));
    }

    @Test
    void sampleTakesNSeededRows() {
        Dataset d = numbered(20);
        Path f = dir.resolve("n20.jsonl");
        Dataset a = Dataset.load(f + "#7"), b = Dataset.load(f + "#7");
        assertEquals(7, a.size());
        assertEquals(a.records(), b.records());
        assertEquals(7, new HashSet<>(a.records()).size());
        Dataset big = Dataset.load(f + "#45");
        assertEquals(45, big.size());
        assertEquals(new HashSet<>(d.records()), new HashSet<>(big.records()));
        assertNotEquals(Dataset.load(f + "#7", LoadOptions.defaults().seed(1)).records(), a.records());
    }

    @Test
    void splitHoldsOutMaxOfRatioAndOneDeterministically() {
        Dataset d = numbered(50);
        Dataset.Split s = d.split(0.1);
        assertEquals(5, s.val().size());
        assertEquals(45, s.train().size());
        assertEquals(s.val().records(), d.split(0.1).val().records());
        assertNotEquals(s.val().records(), d.split(0.1, 7).val().records());
        Set<Record> all = new HashSet<>(s.train().records());
        all.addAll(s.val().records());
        assertEquals(new HashSet<>(d.records()), all);
        assertEquals(1, d.split(0.001).val().size());
        assertThrows(IllegalArgumentException.class, () -> d.split(0));
    }

    @Test
    void summaryTableHasLengthsAndLabels() {
        Dataset d = Dataset.of("t", Record.triplet("abc", "de", "fghi"), new Record("a", "bcdef", List.of("x", "yz"), null));
        var t = d.summary();
        assertEquals(List.of("anchor chars", "positive chars", "negative chars", "negatives/row"),
                new ArrayList<>(t.stringColumn("field").asList()));
        assertEquals(2.0, t.doubleColumn("p50").get(0), 1e-9); // anchors 3 and 1
        assertEquals(3, t.intColumn("count").get(2));
        assertTrue(t.name().contains("positives with hard negatives -> infonce"), t.name());
        assertTrue(t.print().contains("negatives/row"));
        assertTrue(d.toString().contains("1-2 negatives per row"), d.toString());
    }
}
