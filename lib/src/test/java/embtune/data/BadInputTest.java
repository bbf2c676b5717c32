package embtune.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad row names file, line and field; --skip-invalid skips, counts and reports. */
class BadInputTest {
    @TempDir Path dir;

    private DataError fails(String name, String... lines) {
        Path f = DataFiles.write(dir, name, lines);
        return assertThrows(DataError.class, () -> Dataset.load(f.toString()));
    }

    private static void at(DataError e, long line, String field, String words) {
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        assertTrue(e.getMessage().contains(e.file()), e.getMessage());
    }

    private static final String OK = "{\"query\": \"q\", \"response\": \"p\"}";

    @Test
    void malformedJson() {
        at(fails("a.jsonl", OK, "{\"query\": \"q\", \"response\": }"), 2, null, "malformed JSON");
    }

    @Test
    void missingField() {
        at(fails("a.jsonl", OK, "{\"query\": \"q\"}"), 2, "response", "missing");
    }

    @Test
    void mistypedFields() {
        at(fails("a.jsonl", "{\"query\": 3, \"response\": \"p\"}"), 1, "query", "expected a string");
        at(fails("b.jsonl", "{\"query\": \"q\", \"response\": \"p\", \"label\": \"high\"}"), 1, "label", "expected a number");
        at(fails("c.jsonl", "{\"query\": \"q\", \"response\": \"p\", \"rejected_response\": [\"n\", 4]}"), 1, "rejected_response[1]", "expected a string");
    }

    @Test
    void emptyText() {
        at(fails("a.jsonl", OK, OK, "{\"query\": \"  \", \"response\": \"p\"}"), 3, "query", "empty text");
        at(fails("b.csv", "sentence1,sentence2,score", "a,,0.5"), 2, "sentence2", "empty text");
    }

    @Test
    void labelOutOfRange() {
        at(fails("a.jsonl", "{\"query\": \"q\", \"response\": \"p\", \"label\": 1.5}"), 1, "label", "out of range");
        at(fails("b.csv", "sentence1,sentence2,score", "a,b,-0.1"), 2, "score", "out of range");
        at(fails("c.csv", "sentence1,sentence2,score", "a,b,x"), 2, "score", "not a number");
    }

    @Test
    void mixedFormatsInOneFile() {
        at(fails("a.jsonl", OK, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": [[{\"role\": \"user\", \"content\": \"p\"}]]}"),
                2, null, "mixed formats");
    }

    @Test
    void multimodalIsRefused() {
        at(fails("a.jsonl", "{\"query\": \"<image> what\", \"response\": \"p\"}"), 1, "query", "not supported yet");
        at(fails("b.jsonl", "{\"query\": \"q\", \"response\": \"p\", \"images\": [\"x.png\"]}"), 1, "images", "not supported yet");
    }

    @Test
    void unknownRowShapeAndSeveralPositives() {
        at(fails("a.jsonl", "{\"text\": \"q\"}"), 1, null, "neither 'query'");
        at(fails("b.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": ["
                + "[{\"role\": \"user\", \"content\": \"p1\"}], [{\"role\": \"user\", \"content\": \"p2\"}]]}"),
                1, "positive_messages", "2 positives");
    }

    @Test
    void badFileNamesSayWhatIsWrong() {
        assertTrue(assertThrows(DataError.class, () -> Dataset.load(dir.resolve("nope.jsonl").toString())).getMessage().contains("no such file"));
        Path x = DataFiles.write(dir, "a.xml", "<x/>");
        assertTrue(assertThrows(DataError.class, () -> Dataset.load(x.toString())).getMessage().contains("unknown file type"));
        Path e = DataFiles.write(dir, "e.jsonl", "");
        assertTrue(assertThrows(DataError.class, () -> Dataset.load(e.toString())).getMessage().contains("no rows"));
    }

    @Test
    void skipInvalidCountsAndReports() {
        Path f = DataFiles.write(dir, "a.jsonl", OK, "{bad", "{\"query\": \"q\"}", OK);
        Dataset d = Dataset.load(f.toString(), LoadOptions.defaults().skipInvalid(true));
        assertEquals(2, d.size());
        assertEquals(2, d.loadReport().skipped());
        assertEquals(2, d.loadReport().firstErrors().get(0).line());
        assertTrue(d.loadReport().toString().contains("skipped 2 invalid rows"), d.loadReport().toString());
        assertTrue(d.loadReport().toString().contains("a.jsonl:3: field 'response'"), d.loadReport().toString());
    }
}
