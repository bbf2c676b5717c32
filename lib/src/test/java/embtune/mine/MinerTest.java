package embtune.mine;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.DataError;
import embtune.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The miner's parts without a model: search against brute force, dedup, the output formats, the corpus files. */
class MinerTest {
    @TempDir Path dir;

    static float[][] unitVectors(int n, int d, long seed) {
        Random r = new Random(seed);
        float[][] v = new float[n][d];
        for (float[] row : v) {
            for (int j = 0; j < d; j++) row[j] = (float) r.nextGaussian();
            Miner.normalise(row);
        }
        return v;
    }

    /** Every document scored, sorted: what a search must find. */
    static int[] bruteForce(float[] q, float[][] docs, int k) {
        Integer[] order = new Integer[docs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(HnswSearch.dot(q, docs[b]), HnswSearch.dot(q, docs[a])));
        return Arrays.stream(order).limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void exactSearchInBlocksFindsWhatBruteForceFinds() {
        float[][] docs = unitVectors(1000, 16, 1), queries = unitVectors(50, 16, 2);
        // blocks smaller than both sides and not dividing them: every merge path runs
        try (ExactSearch s = new ExactSearch(docs, Device.cpu(), 7, 64)) {
            Neighbours n = s.search(queries, 10, null);
            for (int q = 0; q < queries.length; q++) {
                assertArrayEquals(bruteForce(queries[q], docs, 10), n.ids()[q], "query " + q);
                for (int j = 0; j < 10; j++) assertEquals(HnswSearch.dot(queries[q], docs[n.ids()[q][j]]), n.scores()[q][j], 1e-5);
            }
            // k past the corpus: every document, once
            Neighbours all = s.search(Arrays.copyOf(queries, 1), 5000, null);
            assertEquals(1000, new HashSet<>(Arrays.stream(all.ids()[0]).boxed().toList()).size());
        }
    }

    @Test
    void hnswFindsNearlyAllTrueNeighboursWithExactScores() {
        float[][] docs = unitVectors(3000, 16, 3), queries = unitVectors(300, 16, 4);
        try (HnswSearch h = new HnswSearch(docs); ExactSearch e = new ExactSearch(docs, Device.cpu())) {
            double recall = h.recall(e, queries, 10);
            assertTrue(recall > 0.9 && recall <= 1, "recall@10 " + recall);
            Neighbours n = h.search(queries, 10, null);
            for (int q = 0; q < queries.length; q++) {
                // queries walk the graph in parallel: each must get what it gets alone
                assertArrayEquals(h.search(new float[][] {queries[q]}, 10, null).ids()[0], n.ids()[q], "query " + q);
                for (int j = 0; j < 10; j++) {
                    assertEquals(HnswSearch.dot(queries[q], docs[n.ids()[q][j]]), n.scores()[q][j], 0f, "rescored exactly");
                    if (j > 0) assertTrue(n.scores()[q][j - 1] >= n.scores()[q][j]);
                }
            }
        }
    }

    /** Vectors by hand: texts map to points on a circle, so every score is a known cosine. */
    static Teacher circle(Map<String, Double> angleOf) {
        return new Teacher() {
            @Override
            public float[][] embed(List<String> texts) {
                float[][] out = new float[texts.size()][];
                for (int i = 0; i < out.length; i++) {
                    Double a = angleOf.get(texts.get(i));
                    if (a == null) throw new AssertionError("no vector for " + texts.get(i));
                    out[i] = new float[] {(float) Math.cos(a), (float) Math.sin(a)};
                }
                return out;
            }

            @Override
            public String name() {
                return "circle";
            }
        };
    }

    static final Map<String, Double> ANGLES = Map.of("q1", 0.0, "p1", 0.3, "p1b", 0.5, "near", 0.1, "mid", 0.4, "far", 1.0,
            "q2", 2.0, "p2", 2.2, "p2 twin", 2.21, "opposite", 3.1);

    @Test
    void positivesAndTheirCopiesAreNeverNegativesAndDuplicateQueriesShareTheirPositives() {
        // q1 has two positives (two rows); the corpus repeats p1 and holds the other texts once or twice
        Mined m = Miner.with(circle(ANGLES)).corpus(List.of("near", "p1", "mid", "far", "near", "p2 twin", "opposite"))
                .rules(NegativeRules.defaults().numNegatives(2).rangeMax(6))
                .mine(List.of("q1", "q2", "q1"), List.of("p1", "p2", "p1b"));
        assertEquals(List.of("q1", "q2"), m.queries());
        assertEquals(List.of("near", "p1", "mid", "far", "p2 twin", "opposite", "p2", "p1b"), m.documents(), "corpus first, then positives, each once");
        List<Mined.Row> rows = m.rows(OutputFormat.TRIPLET);
        // q1: p1 (0.3) and p1b (0.5) are positives; near (0.1), mid (0.4) the two best others
        assertEquals(List.of("q1|p1|near", "q1|p1|mid", "q1|p1b|near", "q1|p1b|mid", "q2|p2|p2 twin", "q2|p2|far"),
                rows.stream().map(r -> r.query() + "|" + r.response() + "|" + r.negatives().get(0)).toList());
        assertEquals((float) Math.cos(0.1), rows.get(0).scores()[1], 1e-6);
        assertEquals((float) Math.cos(0.3), rows.get(0).scores()[0], 1e-6);
    }

    @Test
    void marginsMeasureFromTheHardestPositive() {
        // q1's positives score cos 0.3 and cos 0.5; absolute margin 0 keeps only candidates below cos 0.5
        Mined m = Miner.with(circle(ANGLES)).corpus(List.of("near", "mid", "far"))
                .rules(NegativeRules.defaults().numNegatives(1).absoluteMargin(0.0)).mine(List.of("q1", "q1"), List.of("p1", "p1b"));
        assertEquals("far", m.documents().get(m.negatives(0).ids()[0]));
        assertEquals(2, m.skipped().absoluteMargin); // near, mid
    }

    @Test
    void formatsFollowSentenceTransformers() throws Exception {
        Miner miner = Miner.with(circle(ANGLES)).corpus(List.of("near", "mid", "far", "opposite"))
                .rules(NegativeRules.defaults().numNegatives(2).rangeMax(4).maxScore(0.99));
        Mined m = miner.mine(List.of("q1", "q2"), List.of("p1", "p2"));
        // q1: near is above max_score (cos 0.1 = 0.995), p1 is its positive: mid and far
        assertEquals(List.of("mid", "far"), Arrays.stream(m.negatives(0).ids()).mapToObj(m.documents()::get).toList());
        // q2 (angle 2): its positive p2, then far (1.0 away) and opposite (1.1 away)
        assertEquals(List.of("far", "opposite"), Arrays.stream(m.negatives(1).ids()).mapToObj(m.documents()::get).toList());
        assertEquals(4, m.rows(OutputFormat.TRIPLET).size());
        assertEquals(2, m.rows(OutputFormat.N_TUPLE).size());
        assertEquals(List.of(1, 0, 0, 1, 0, 0), m.rows(OutputFormat.LABELED_PAIR).stream().map(Mined.Row::label).toList());
        assertEquals(2, m.rows(OutputFormat.LABELED_LIST).get(0).negatives().size());

        // too few negatives: n-tuple leaves the row out, labeled-list keeps what there is
        Mined few = Miner.with(circle(ANGLES)).corpus(List.of("near", "mid"))
                .rules(NegativeRules.defaults().numNegatives(3).maxScore(0.99)).mine(List.of("q1"), List.of("p1"));
        assertEquals(0, few.rows(OutputFormat.N_TUPLE).size());
        assertEquals(List.of("mid"), few.rows(OutputFormat.LABELED_LIST).get(0).negatives());
        assertEquals(1, few.queriesShort());

        Path out = m.write(dir.resolve("sub/mined.jsonl"), OutputFormat.N_TUPLE, true);
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        JsonNode row = new ObjectMapper().readTree(lines.get(1));
        assertEquals("q2", row.get("query").asText());
        assertEquals("p2", row.get("response").asText());
        assertEquals("far", row.get("rejected_response").get(0).asText());
        assertEquals(3, row.get("scores").size());
        assertEquals(Math.cos(0.2), row.get("scores").get(0).asDouble(), 1e-6);
        try (var files = Files.list(out.getParent())) {
            assertEquals(List.of(out.getFileName().toString()), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
        // what was written loads as an InfoNCE data set with its negatives
        Dataset back = Dataset.load(out.toString());
        assertEquals(2, back.get(0).negatives().size());
        assertEquals(m.dataset(OutputFormat.N_TUPLE).get(0), back.get(0));
        // labeled pairs: a 0/1 label (readable by embtune) and the score beside it
        m.write(out, OutputFormat.LABELED_PAIR, true);
        JsonNode pair = new ObjectMapper().readTree(Files.readAllLines(out).get(1));
        assertEquals(0, pair.get("label").asInt());
        assertTrue(pair.has("score"));
        assertEquals(6, Dataset.load(out.toString()).size());
    }

    @Test
    void includePositivesGivesTheFullRankingAsNTuples() {
        Mined m = Miner.with(circle(ANGLES)).corpus(List.of("near", "mid"))
                .rules(NegativeRules.defaults().numNegatives(3).includePositives(true)).mine(List.of("q1"), List.of("p1"));
        List<Mined.Row> rows = m.rows(OutputFormat.TRIPLET);
        assertEquals(1, rows.size(), "n-tuple whatever was asked");
        assertEquals(List.of("near", "p1", "mid"), rows.get(0).negatives());
    }

    @Test
    void randomSamplingIsSeeded() {
        Map<String, Double> many = new java.util.HashMap<>(Map.of("q", 0.0, "p", 0.05));
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            corpus.add("d" + i);
            many.put("d" + i, 0.1 + i * 0.05);
        }
        NegativeRules random = NegativeRules.defaults().strategy(NegativeRules.Strategy.RANDOM).numNegatives(3).rangeMax(40);
        java.util.function.LongFunction<List<String>> mine = seed -> {
            Mined m = Miner.with(circle(many)).corpus(corpus).rules(random).seed(seed).mine(List.of("q"), List.of("p"));
            return Arrays.stream(m.negatives(0).ids()).mapToObj(m.documents()::get).toList();
        };
        assertEquals(mine.apply(7), mine.apply(7));
        Set<List<String>> seen = new HashSet<>();
        for (long s = 0; s < 10; s++) seen.add(mine.apply(s));
        assertTrue(seen.size() > 5, "different seeds, different samples: " + seen);
    }

    @Test
    void corpusFilesOfEveryKind() throws Exception {
        Path jsonl = dir.resolve("c.jsonl");
        Files.writeString(jsonl, "{\"text\": \"first\"}\n\n{\"response\": \"second\"}\n{\"_id\": \"d3\", \"title\": \"T\", \"text\": \"third\"}\n");
        assertEquals(List.of("first", "second", "T third"), Corpus.read(jsonl));
        Path beir = Files.createDirectories(dir.resolve("beir"));
        Files.copy(jsonl, beir.resolve("corpus.jsonl"));
        assertEquals(3, Corpus.read(beir).size());
        Path txt = dir.resolve("c.txt");
        Files.writeString(txt, "one line\n\nanother line\n");
        assertEquals(List.of("one line", "another line"), Corpus.read(txt));
        assertEquals(1337, Corpus.read(Path.of("../datasets/stsb-retrieval-test")).size());
    }

    @Test
    void badCorpusLinesAreNamed() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"ok\"}\n{\"text\": 42}\n");
        DataError e = assertThrows(DataError.class, () -> Corpus.read(f));
        assertEquals(2, e.line());
        assertEquals("text", e.field());
        Files.writeString(f, "{\"text\": \"ok\"}\n{\"title\": \"no text\"}\n");
        assertTrue(assertThrows(DataError.class, () -> Corpus.read(f)).getMessage().contains(":2: no \"text\" or \"response\""));
        Files.writeString(f, "not json\n");
        assertEquals(1, assertThrows(DataError.class, () -> Corpus.read(f)).line());
        Path bin = dir.resolve("bin.txt");
        Files.write(bin, new byte[] {'o', 'k', '\n', 'a', 0, 'b', '\n'});
        assertEquals(2, assertThrows(DataError.class, () -> Corpus.read(bin)).line());
        Files.write(bin, new byte[] {'o', 'k', '\n', (byte) 0xC3, (byte) 0x28, '\n'});
        assertEquals(2, assertThrows(DataError.class, () -> Corpus.read(bin)).line());
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "\n\n");
        assertTrue(assertThrows(DataError.class, () -> Corpus.read(empty)).getMessage().contains("empty"));
    }
}
