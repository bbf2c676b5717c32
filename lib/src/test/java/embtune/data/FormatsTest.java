package embtune.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FormatsTest {
    @TempDir Path dir;

    @Test
    void queryResponseFormatWithNegativesAndLabel() {
        Path f = DataFiles.write(dir, "a.jsonl",
                "{\"query\": \"q1\", \"response\": \"p1\", \"rejected_response\": [\"n1\", \"n2\"], \"label\": 1}",
                "",
                "{\"query\": \"q2\", \"response\": \"p2\", \"label\": 0.8}");
        Dataset d = Dataset.load(f.toString());
        assertEquals(2, d.size());
        assertEquals(new Record("q1", "p1", List.of("n1", "n2"), 1f), d.get(0));
        assertEquals(new Record("q2", "p2", List.of(), 0.8f), d.get(1));
        assertEquals(3, d.lineOf(1));
    }

    @Test
    void messagesFormatJoinsSystemAndUser() {
        Path f = DataFiles.write(dir, "m.jsonl",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Instruct: find\"}, {\"role\": \"user\", \"content\": \"q\"}],"
                        + " \"positive_messages\": [[{\"role\": \"user\", \"content\": \"p\"}]],"
                        + " \"negative_messages\": [[{\"role\": \"user\", \"content\": \"n1\"}], [{\"role\": \"user\", \"content\": \"n2\"}]],"
                        + " \"label\": 1}");
        assertEquals(new Record("Instruct: find q", "p", List.of("n1", "n2"), 1f), Dataset.load(f.toString()).get(0));
    }

    @Test
    void jsonArrayFile() {
        Path f = DataFiles.write(dir, "a.json", "[", "{\"query\": \"q1\", \"response\": \"p1\", \"label\": 1},",
                "{\"query\": \"q2\", \"response\": \"p2\", \"label\": 0}", "]");
        Dataset d = Dataset.load(f.toString());
        assertEquals(List.of(Record.pair("q1", "p1", 1f), Record.pair("q2", "p2", 0f)), d.records());
    }

    @Test
    void csvHeaderNamesAreRecognised() {
        Path f = DataFiles.write(dir, "pairs.csv", "sentence1,sentence2,score", "\"A, b\",c,0.5", "d,e,1");
        Dataset d = Dataset.load(f.toString());
        assertEquals(List.of(Record.pair("A, b", "c", 0.5f), Record.pair("d", "e", 1f)), d.records());
    }

    @Test
    void tsvWithExplicitColumnsAndScale() {
        Path f = DataFiles.write(dir, "pairs.tsv", "x\ty\ts\tneg", "a\tb\t4\tn", "c\td\t0\t");
        Dataset d = Dataset.load(f.toString(), LoadOptions.defaults().columns(Columns.parse("anchor=x,positive=y,label=s,negatives=neg,scale=5")));
        assertEquals(new Record("a", "b", List.of("n"), 0.8f), d.get(0));
        assertEquals(new Record("c", "d", List.of(), 0f), d.get(1));
    }

    @Test
    void rawStsBenchmarkIsRecognisedAndScaled() {
        Dataset d = Dataset.load("../datasets/stsbenchmark/sts-dev.csv");
        assertEquals(1500, d.size());
        assertEquals(new Record("A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", List.of(), 1.0f), d.get(0));
        assertEquals(DataKind.SCORES, d.kind());
    }

    @Test
    void bundledSamplesHaveTheirKinds() {
        assertEquals(DataKind.SCORES, Dataset.load(DataFiles.bundled("stsb-train.jsonl")).kind());
        assertEquals(DataKind.BINARY_LABELS, Dataset.load(DataFiles.bundled("stsb-binary-train.jsonl")).kind());
        assertEquals(DataKind.HARD_NEGATIVES, Dataset.load(DataFiles.bundled("stsb-infonce-train.jsonl")).kind());
        assertEquals(5749, Dataset.load(DataFiles.bundled("stsb-train.jsonl")).size());
    }

    @Test
    void bundledSamplesAreRebuiltIdentically() throws Exception {
        Path out = dir.resolve("rebuilt");
        StsbSamples.build(Path.of("../datasets/stsbenchmark"), out);
        for (String f : List.of("stsb-train.jsonl", "stsb-test.jsonl", "stsb-binary-train.jsonl",
                "stsb-infonce-train.jsonl", "stsb-infonce-dev.jsonl", "stsb-retrieval-test/qrels.tsv", "stsb-retrieval-test/corpus.jsonl"))
            assertEquals(java.nio.file.Files.readString(DataFiles.bundled(f)), java.nio.file.Files.readString(out.resolve(f)), f);
    }
}
