package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.rerank.Reranker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mine --reranker}: the tiny BERT embedder finds the candidates, the tiny BERT reranker
 * rescores them, and max_score and absolute_margin cut on the reranker's scores. With 20 pairs and
 * no corpus, range_max (30 + positives) covers every document, so the expected negatives follow
 * from reranker scores alone: each query's documents, its positives left out, filtered, best 3 by
 * reranker score.
 */
class MineRerankerTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    Result mine(Path pairs, Path out, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("--dataset", pairs.toString(), "--output", out.toString(),
                "--model", Fixtures.dir("tiny-bert").toString()));
        argv.addAll(List.of(args));
        int code = MineCommand.cli().run(argv.toArray(String[]::new), a -> MineCommand.run(a, new PrintStream(o, true)),
                new PrintStream(o, true), new PrintStream(e, true));
        return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void marginsAndMaxScoreCutOnTheRerankersScores() throws Exception {
        Path pairs = dir.resolve("pairs.jsonl"), out = dir.resolve("mined.jsonl");
        Files.write(pairs, Files.readAllLines(Path.of("../datasets/stsb-infonce-train.jsonl")).subList(0, 20));
        // queries in first-seen order with their positives; the documents are the positives, each once
        Map<String, List<String>> positives = new LinkedHashMap<>();
        LinkedHashSet<String> docSet = new LinkedHashSet<>();
        for (Record r : Dataset.load(pairs.toString())) {
            List<String> ps = positives.computeIfAbsent(r.anchor(), k -> new ArrayList<>());
            if (!ps.contains(r.positive())) ps.add(r.positive());
            docSet.add(r.positive());
        }
        List<String> docs = new ArrayList<>(docSet);

        Path rerankerDir = Fixtures.dir("tiny-bert-reranker");
        Map<String, float[]> all = new LinkedHashMap<>(); // query -> reranker score of every document
        try (Reranker r = Reranker.load(rerankerDir)) {
            for (String q : positives.keySet()) all.put(q, r.scores(q, docs));
        }
        // max_score: the median reranker score of the non-positive (query, document) pairs, so it cuts some
        List<Float> others = new ArrayList<>();
        positives.forEach((q, ps) -> {
            for (int d = 0; d < docs.size(); d++) if (!ps.contains(docs.get(d))) others.add(all.get(q)[d]);
        });
        others.sort(null);
        float maxScore = others.get(others.size() / 2);

        // expected triplets (query, positive, negative, positive score, negative score), sentence-transformers' order
        List<String> expected = new ArrayList<>();
        boolean thresholdsMatter = false;
        for (var e : positives.entrySet()) {
            String q = e.getKey();
            float[] s = all.get(q);
            float lowestPositive = Float.POSITIVE_INFINITY;
            for (String p : e.getValue()) lowestPositive = Math.min(lowestPositive, s[docs.indexOf(p)]);
            Integer[] order = new Integer[docs.size()];
            for (int d = 0; d < order.length; d++) order[d] = d;
            Arrays.sort(order, (a, b) -> Float.compare(s[b], s[a]));
            List<Integer> kept = new ArrayList<>(), unfiltered = new ArrayList<>();
            for (int d : order) {
                if (e.getValue().contains(docs.get(d))) continue;
                unfiltered.add(d);
                if (s[d] + 0f > lowestPositive || s[d] > maxScore) continue; // absolute_margin 0, max_score
                kept.add(d);
            }
            kept = kept.subList(0, Math.min(3, kept.size()));
            thresholdsMatter |= !kept.equals(unfiltered.subList(0, Math.min(3, unfiltered.size())));
            for (String p : e.getValue())
                for (int d : kept) expected.add(String.format("%s | %s | %s | %.5f %.5f", q, p, docs.get(d), s[docs.indexOf(p)], s[d]));
        }
        assertTrue(thresholdsMatter, "the thresholds must change some query's negatives, or the test shows nothing");
        assertFalse(expected.isEmpty());

        Result res = mine(pairs, out, "--reranker", rerankerDir.toString(), "--max_score", Float.toString(maxScore),
                "--absolute_margin", "0", "--output_scores");
        assertEquals(0, res.code, res.out + res.err);
        List<String> written = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(out)) {
            JsonNode row = json.readTree(line);
            written.add(String.format("%s | %s | %s | %.5f %.5f", row.get("query").asText(), row.get("response").asText(),
                    row.get("rejected_response").get(0).asText(), row.get("scores").get(0).floatValue(), row.get("scores").get(1).floatValue()));
        }
        assertEquals(expected, written);
    }

    @Test
    void aRerankerWithoutAMarginOrMaxScoreIsRefused() throws Exception {
        Path pairs = dir.resolve("pairs.jsonl"), out = dir.resolve("mined.jsonl");
        Files.write(pairs, Files.readAllLines(Path.of("../datasets/stsb-infonce-train.jsonl")).subList(0, 5));
        Result res = mine(pairs, out, "--reranker", Fixtures.dir("tiny-bert-reranker").toString(), "--min_score", "0.1");
        assertEquals(2, res.code, res.out + res.err);
        assertTrue(res.err.startsWith("mine: --reranker rescores only when"), res.err);
        assertFalse(Files.exists(out));
    }
}
