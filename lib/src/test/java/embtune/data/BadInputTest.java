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
    void imagesMustMatchTheirTagsAndExist() {
        at(fails("a.jsonl", "{\"query\": \"<image> what\", \"response\": \"p\"}"), 1, null, "1 <image> tag in the texts but 0 images");
        at(fails("b.jsonl", "{\"query\": \"q\", \"response\": \"p\", \"images\": [\"x.png\"]}"), 1, "images[0]", "no such image file");
        at(fails("c.jsonl", "{\"query\": \"<video> q\", \"response\": \"p\"}"), 1, "query", "<video> and <audio> tags are not supported");
        at(fails("d.jsonl", "{\"query\": \"q\", \"response\": \"p\", \"videos\": [\"v.mp4\"]}"), 1, "videos", "not supported");
        at(fails("e.jsonl", "{\"query\": \"<image:/etc/passwd>\", \"response\": \"p\"}"), 1, "query", "may not contain '<image:...>'");
        at(fails("f.jsonl", "{\"query\": \"<image>\", \"response\": \"p\", \"images\": \"https://x.org/a.png\"}"), 1, "images", "not a file");
        at(fails("g.csv", "anchor,positive", "<image> a,b"), 2, "anchor", "needs a JSONL row");
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

    @Test
    void labelsOnSomeRowsOnlyAreAnError() {
        String l1 = "{\"query\": \"q\", \"response\": \"p\", \"label\": 0.8}";
        at(fails("a.jsonl", l1, l1, OK, l1), 3, "label", "line 1 has one");
        at(fails("b.jsonl", l1, "{\"query\": \"q\", \"response\": \"p\", \"label\": null}"), 2, "label", "no label");
        at(fails("c.jsonl", OK, l1), 1, "label", "line 2 has one");
        Path csv = DataFiles.write(dir, "d.csv", "sentence1,sentence2,score", "a,b,0.5", "c,d,");
        assertTrue(assertThrows(DataError.class, () -> Dataset.load(csv.toString())).getMessage().contains("d.csv:3"));
        Dataset labelled = Dataset.load(DataFiles.write(dir, "e.jsonl", l1).toString());
        Dataset unlabelled = Dataset.load(DataFiles.write(dir, "f.jsonl", OK).toString());
        assertThrows(DataError.class, () -> Dataset.concat(java.util.List.of(labelled, unlabelled)));
    }

    @Test
    void contentAfterTheObjectIsAnError() {
        at(fails("a.jsonl", OK, OK + OK), 2, null, "malformed JSON");
        at(fails("b.jsonl", OK + "garbage"), 1, null, "malformed JSON");
        at(fails("c.jsonl", OK + " ,"), 1, null, "malformed JSON");
        DataError e = fails("d.json", "[" + OK + "]", "[]");
        assertTrue(e.getMessage().contains("content after the closing ]"), e.getMessage());
        assertEquals(1, Dataset.load(DataFiles.write(dir, "ok.jsonl", OK + "   ").toString()).size(), "trailing spaces are fine");
    }

    @Test
    void aByteOrderMarkIsAccepted() {
        assertEquals("q", Dataset.load(DataFiles.write(dir, "a.jsonl", "\uFEFF" + OK).toString()).get(0).anchor());
        assertEquals("a", Dataset.load(DataFiles.write(dir, "b.csv", "\uFEFFsentence1,sentence2,score", "a,b,0.5").toString()).get(0).anchor());
        assertEquals("q", Dataset.load(DataFiles.write(dir, "c.json", "\uFEFF[" + OK + "]").toString()).get(0).anchor());
    }

    @Test
    void invalidUtf8NamesTheLine() throws Exception {
        Path f = dir.resolve("a.jsonl");
        byte[] bad = (OK + "\n{\"query\": \"q\u00ff\", \"response\": \"p\"}\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        java.nio.file.Files.write(f, bad);
        at(assertThrows(DataError.class, () -> Dataset.load(f.toString())), 2, null, "not valid UTF-8");
        Path c = dir.resolve("a.csv");
        java.nio.file.Files.write(c, "sentence1,sentence2\na\u00ff,b\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertTrue(assertThrows(DataError.class, () -> Dataset.load(c.toString())).getMessage().contains("not valid UTF-8"));
    }

    @Test
    void sampleCountsAndLocalPathsSayWhatIsWrong() {
        Path f = DataFiles.write(dir, "a.jsonl", OK);
        for (String n : new String[] {"#-3", "#abc", "#0", "#"})
            assertTrue(assertThrows(DataError.class, () -> Dataset.load(f + n)).getMessage().contains("#N takes a whole number"), n);
        for (String p : new String[] {"./nope.jsonl", "d/nope.jsonl", "/abs/nope.jsonl", "../x/nope.csv"}) {
            String msg = assertThrows(DataError.class, () -> Dataset.load(p)).getMessage();
            assertTrue(msg.contains("no such file") && !msg.contains("hub") && !msg.contains("huggingface"), p + ": " + msg);
        }
    }
}
