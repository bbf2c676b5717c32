package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RerankCommandTest {
    static final JsonNode R = Fixtures.json("reranker.json");

    private static String run(String stdin, String... argv) throws Exception {
        var out = new ByteArrayOutputStream();
        RerankCommand.run(RerankCommand.cli().parse(argv), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Pairs 0 and 1 of reranker.json share their query, so their fixture scores rank these two documents. */
    @Test
    void jsonlListsDocumentsBestFirstWithTheFixtureScores() throws Exception {
        String query = R.get("pairs").get(0).get(0).asText();
        List<String> docs = List.of(R.get("pairs").get(0).get(1).asText(), R.get("pairs").get(1).get(1).asText());
        float[] want = Fixtures.floats(R.get("models").get("tiny-qwen3-reranker").get("scores"));
        String stdin = String.join("\n", docs) + "\n\n";
        List<String> lines = run(stdin, "--model", Fixtures.dir("tiny-qwen3-reranker").toString(), "--query", query, "--format", "jsonl").lines().toList();
        assertEquals(2, lines.size());
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0)), second = json.readTree(lines.get(1));
        int best = want[0] >= want[1] ? 0 : 1;
        assertEquals(best, first.get("index").asInt());
        assertEquals(want[best], first.get("score").floatValue(), 1e-5);
        assertEquals(want[1 - best], second.get("score").floatValue(), 1e-5);
        assertEquals(docs.get(best), first.get("document").asText());
    }

    @Test
    void tableWithTopNAndBadFlags() throws Exception {
        String table = run("", "--model", Fixtures.dir("tiny-bert-reranker").toString(), "--query", "arc cosine", "--top_n", "2",
                "Return the arc cosine of z.", "Exact matching of IP addresses.", "The base class of the class hierarchy.");
        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size(), table);
        assertTrue(lines.get(0).startsWith("rank  index  score"), table);
        assertTrue(lines.get(1).startsWith("1 "), table);
        assertThrows(Cli.UsageError.class, () -> run("", "--model", Fixtures.dir("tiny-bert-reranker").toString(), "a doc"), "no --query");
        assertThrows(Cli.UsageError.class, () -> run("", "--model", Fixtures.dir("tiny-bert-reranker").toString(), "--query", "q"), "no documents");
        assertThrows(embtune.ModelError.class, () -> run("", "--model", Fixtures.dir("tiny-bert").toString(), "--query", "q", "d"));
    }
}
