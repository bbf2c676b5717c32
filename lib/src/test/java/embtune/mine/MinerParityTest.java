package embtune.mine;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.PythonRef;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.model.Embedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * embtune's miner against sentence-transformers' {@code mine_hard_negatives} on the same model
 * (the tiny-qwen3 fixture) and data (300 STS-B InfoNCE pairs, some queries with two positives, plus
 * 200 documents of the retrieval corpus): for each setting, the same triplets in the same order, the
 * scores to 1e-5.
 */
@Tag("python")
class MinerParityTest {
    @TempDir Path dir;

    /** The settings compared: name, sentence-transformers' keyword arguments, and embtune's rules for them. */
    static final Map<String, Map<String, Object>> RUNS = new LinkedHashMap<>();
    static final Map<String, NegativeRules> RULES = new LinkedHashMap<>();

    static {
        NegativeRules d = NegativeRules.defaults();
        RUNS.put("defaults", Map.of());
        RULES.put("defaults", d);
        RUNS.put("range_relative_margin", Map.of("range_min", 2, "range_max", 30, "relative_margin", 0.05, "num_negatives", 3));
        RULES.put("range_relative_margin", d.rangeMin(2).rangeMax(30).relativeMargin(0.05).numNegatives(3));
        RUNS.put("absolute_margin_max_score", Map.of("absolute_margin", 0.0, "max_score", 0.95, "num_negatives", 2));
        RULES.put("absolute_margin_max_score", d.absoluteMargin(0.0).maxScore(0.95).numNegatives(2));
        RUNS.put("score_window", Map.of("range_min", 1, "range_max", 12, "min_score", 0.3, "max_score", 0.9, "num_negatives", 4));
        RULES.put("score_window", d.rangeMin(1).rangeMax(12).minScore(0.3).maxScore(0.9).numNegatives(4));
    }

    /**
     * With a reranker ({@code cross_encoder=}): tiny-bert finds the candidates, tiny-bert-reranker
     * rescores them, the margins and max_score cut on its scores: the same triplets and scores.
     */
    @Test
    void sameNegativesWithARerankerAsSentenceTransformers() throws Exception {
        PythonRef.python();
        List<String> queries = new ArrayList<>(), positives = new ArrayList<>();
        for (Record r : Dataset.load("../datasets/stsb-infonce-train.jsonl").records().subList(0, 100)) {
            queries.add(r.anchor());
            positives.add(r.positive());
        }
        List<String> corpus = Corpus.read(Path.of("../datasets/stsb-retrieval-test")).subList(0, 100);
        Path model = Fixtures.dir("tiny-bert").toAbsolutePath(), reranker = Fixtures.dir("tiny-bert-reranker").toAbsolutePath();
        Map<String, NegativeRules> rules = new LinkedHashMap<>();
        List<Map<String, Object>> runs = new ArrayList<>();
        NegativeRules d = NegativeRules.defaults();
        runs.add(Map.of("name", "relative_margin", "relative_margin", 0.05, "num_negatives", 3));
        rules.put("relative_margin", d.relativeMargin(0.05).numNegatives(3));
        runs.add(Map.of("name", "absolute_margin_max_score", "absolute_margin", 0.0, "max_score", 0.4, "min_score", 0.2, "range_min", 1, "num_negatives", 2));
        rules.put("absolute_margin_max_score", d.absoluteMargin(0.0).maxScore(0.4).minScore(0.2).rangeMin(1).numNegatives(2));
        Path job = dir.resolve("job.json");
        new ObjectMapper().writeValue(job.toFile(), Map.of("model", model.toString(), "reranker", reranker.toString(), "queries", queries,
                "positives", positives, "corpus", corpus, "runs", runs));
        JsonNode theirs = PythonRef.json("python/mine_negatives.py", job.toString());

        try (Embedder m = Embedder.load(model); embtune.rerank.Reranker r = embtune.rerank.Reranker.load(reranker)) {
            for (var e : rules.entrySet()) {
                List<Mined.Row> ours = Miner.with(m).reranker(r).corpus(corpus).rules(e.getValue()).mine(queries, positives)
                        .rows(OutputFormat.TRIPLET);
                assertSameTriplets(theirs.get(e.getKey()), ours, e.getKey(), 20);
            }
        }
    }

    @Test
    void sameNegativesAsSentenceTransformers() throws Exception {
        PythonRef.python();
        List<String> queries = new ArrayList<>(), positives = new ArrayList<>();
        for (Record r : Dataset.load("../datasets/stsb-infonce-train.jsonl").records().subList(0, 300)) {
            queries.add(r.anchor());
            positives.add(r.positive());
        }
        List<String> corpus = Corpus.read(Path.of("../datasets/stsb-retrieval-test")).subList(0, 200);
        Path model = Fixtures.dir("tiny-qwen3").toAbsolutePath();

        List<Map<String, Object>> runs = new ArrayList<>();
        RUNS.forEach((name, kwargs) -> {
            Map<String, Object> run = new LinkedHashMap<>(kwargs);
            run.put("name", name);
            runs.add(run);
        });
        Path job = dir.resolve("job.json");
        new ObjectMapper().writeValue(job.toFile(), Map.of("model", model.toString(), "queries", queries, "positives", positives,
                "corpus", corpus, "runs", runs));
        JsonNode theirs = PythonRef.json("python/mine_negatives.py", job.toString());

        try (Embedder m = Embedder.load(model)) {
            for (var e : RULES.entrySet()) {
                List<Mined.Row> ours = Miner.with(m).corpus(corpus).rules(e.getValue()).mine(queries, positives).rows(OutputFormat.TRIPLET);
                assertSameTriplets(theirs.get(e.getKey()), ours, e.getKey(), 100);
            }
        }
    }

    /** sentence-transformers' triplets (at least {@code atLeast} of them) and ours: the same rows in order, scores to 1e-5. */
    private static void assertSameTriplets(JsonNode rows, List<Mined.Row> ours, String name, int atLeast) {
        assertTrue(rows.size() > atLeast, name + ": sentence-transformers mined only " + rows.size() + " triplets");
        assertEquals(rows.size(), ours.size(), name + ": number of triplets");
        for (int i = 0; i < ours.size(); i++) {
            JsonNode t = rows.get(i);
            Mined.Row o = ours.get(i);
            String where = name + " row " + i + " (" + o.query() + ")";
            assertEquals(t.get("query").asText(), o.query(), where);
            assertEquals(t.get("positive").asText(), o.response(), where);
            assertEquals(t.get("negative").asText(), o.negatives().get(0), where);
            assertEquals(t.get("scores").get(0).asDouble(), o.scores()[0], 1e-5, where + ": positive score");
            assertEquals(t.get("scores").get(1).asDouble(), o.scores()[1], 1e-5, where + ": negative score");
        }
    }
}
