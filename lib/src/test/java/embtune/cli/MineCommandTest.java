package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.mine.FakeEndpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mine} end to end on the tiny BERT fixture, and every kind of bad input: one line, non-zero exit, OUT untouched. */
class MineCommandTest {
    @TempDir Path dir;
    Path pairs, out;
    static final String EARLIER = "{\"query\":\"kept\",\"response\":\"from an earlier run\"}\n";

    record Result(int code, String out, String err) {}

    Result mine(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("--dataset", pairs.toString(), "--output", out.toString()));
        argv.addAll(List.of(args));
        int code = MineCommand.cli().run(argv.toArray(String[]::new), a -> MineCommand.run(a, new PrintStream(o, true)),
                new PrintStream(o, true), new PrintStream(e, true));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void data() throws Exception {
        pairs = dir.resolve("pairs.jsonl");
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("../datasets/stsb-infonce-train.jsonl")).subList(0, 40)) sb.append(line).append('\n');
        Files.writeString(pairs, sb);
        out = dir.resolve("mined.jsonl");
        Files.writeString(out, EARLIER);
    }

    String model() {
        return Fixtures.dir("tiny-bert").toString();
    }

    @Test
    void minesWritesAndReports() throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "A man is playing a flute.\nA woman is slicing an onion.\n\nThe stock market fell.\n");
        Result r = mine("--model", model(), "--corpus", corpus.toString(), "--num_negatives", "2", "--output_format", "n-tuple",
                "--output_scores");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("documents/s") && r.out.contains("queries/s"), r.out);
        assertTrue(r.out.contains("wrote " + out), r.out);
        List<String> lines = Files.readAllLines(out);
        assertTrue(lines.size() >= 38, lines.size() + " rows");
        var row = new ObjectMapper().readTree(lines.get(0));
        assertEquals(2, row.get("rejected_response").size());
        assertEquals(3, row.get("scores").size());

        r = mine("--model", model(), "--index", "hnsw", "--num_negatives", "1");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.matches("(?s).*recall@\\d+ 1\\.0000 against exact search on 40 queries.*"), r.out);
    }

    /** The failure is one line (plus the --help hint for a flag), and the file from before is still there. */
    void refused(Result r, int code, String message) throws Exception {
        assertEquals(code, r.code, r.out + r.err);
        List<String> lines = r.err.lines().filter(l -> !l.equals("run with --help for the options")).toList();
        assertEquals(1, lines.size(), r.err);
        assertTrue(lines.get(0).contains(message), r.err);
        assertFalse(r.err.contains("\tat "), "no stack trace");
        assertEquals(EARLIER, Files.readString(out));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")));
        }
    }

    @Test
    void badSettings() throws Exception {
        refused(mine("--model", model(), "--range_min", "5", "--range_max", "3"), 2, "range_min (5) must be smaller than range_max (3)");
        refused(mine("--model", model(), "--num_negatives", "0"), 2, "num_negatives must be at least 1");
        refused(mine("--model", model(), "--sampling_strategy", "best"), 2, "sampling_strategy must be top or random");
        refused(mine("--model", model(), "--output_format", "pairs"), 2, "--output_format: output_format must be triplet, n-tuple");
        refused(mine("--model", model(), "--index", "faiss"), 2, "--index: index must be exact or hnsw");
        refused(mine("--model", model(), "--max_score", "high"), 2, "--max_score: 'high' is not a number");
        refused(mine("--model", model(), "--teacher_model", "x"), 2, "--teacher_model is for an endpoint");
    }

    @Test
    void badCorpus() throws Exception {
        Path corpus = dir.resolve("corpus.jsonl");
        Files.writeString(corpus, "{\"text\": \"fine\"}\n{\"text\": [\"not\", \"text\"]}\n");
        refused(mine("--model", model(), "--corpus", corpus.toString()), 1, corpus + ":2: field 'text': expected a string, got array");
        Files.writeString(corpus, "");
        refused(mine("--model", model(), "--corpus", corpus.toString()), 1, "no documents (the corpus is empty)");
        refused(mine("--model", model(), "--corpus", dir.resolve("missing.txt").toString()), 1, "missing.txt: no such file");
    }

    @Test
    void badTeacher() throws Exception {
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> FakeEndpoint.Answer.ok(FakeEndpoint.vectors(body, n == 0 ? 8 : 6)))) {
            refused(mine("--model", f.base(), "--teacher_model", "m", "--batch_size", "16", "--max_concurrency", "1"), 1,
                    "answered 6-d vectors, earlier answers were 8-d");
        }
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> new FakeEndpoint.Answer(401, null, "{\"error\":{\"message\":\"Incorrect API key provided\"}}"))) {
            refused(mine("--model", f.base(), "--teacher_model", "m", "--api_key", "sk-wrong"), 1, "HTTP 401: Incorrect API key provided");
        }
        refused(mine("--model", "http://127.0.0.1:1/v1", "--teacher_model", "m"), 1, "127.0.0.1:1");
    }
}
