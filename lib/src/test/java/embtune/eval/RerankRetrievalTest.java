package embtune.eval;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.model.Embedder;
import embtune.rerank.Reranker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retrieve-then-rerank on a small BEIR folder: reordering one document changes nothing; reordering all gives the reranker's own ranking. */
class RerankRetrievalTest {
    @TempDir Path dir;

    static final List<String> DOCS = List.of("Return the arc cosine of z.", "Exact matching of IP addresses.",
            "Debugging information is written to sys.stderr.", "The base class of the class hierarchy.",
            "Parse the '227' response for a PASV request.", "Return the name of the terminal device connected to 'fd'.");
    static final List<String> QUERIES = List.of("arc cosine", "where does debugging information go", "terminal device name");
    static final int[] RELEVANT = {0, 2, 5};

    Path beir() throws Exception {
        List<String> corpus = new ArrayList<>(), queries = new ArrayList<>(), qrels = new ArrayList<>(List.of("query-id\tcorpus-id\tscore"));
        for (int i = 0; i < DOCS.size(); i++) corpus.add("{\"_id\": \"d" + i + "\", \"text\": \"" + DOCS.get(i) + "\"}");
        for (int i = 0; i < QUERIES.size(); i++) {
            queries.add("{\"_id\": \"q" + i + "\", \"text\": \"" + QUERIES.get(i) + "\"}");
            qrels.add("q" + i + "\td" + RELEVANT[i] + "\t1");
        }
        Files.write(dir.resolve("corpus.jsonl"), corpus);
        Files.write(dir.resolve("queries.jsonl"), queries);
        Files.write(dir.resolve("qrels.tsv"), qrels);
        return dir;
    }

    @Test
    void rerankingTheHeadOfEachRanking() throws Exception {
        RetrievalData data = RetrievalData.load(beir());
        try (Embedder e = Embedder.load(Fixtures.dir("tiny-bert")); Reranker r = Reranker.load(Fixtures.dir("tiny-bert-reranker"))) {
            assertEquals(data.evaluate(e), data.evaluate(e, r, 1), "one document reordered is the same ranking");
            double mrr = 0;
            for (int i = 0; i < QUERIES.size(); i++) {
                List<Reranker.Ranked> ranked = r.rank(QUERIES.get(i), DOCS);
                for (int k = 0; k < ranked.size(); k++) if (ranked.get(k).index() == RELEVANT[i]) mrr += 1.0 / (k + 1);
            }
            Map<String, Double> all = data.evaluate(e, r, 50);
            assertEquals(mrr / QUERIES.size(), all.get("mrr@10"), 1e-9, "every document reordered: the reranker's own ranking");
            assertEquals(Set.copyOf(data.evaluate(e).keySet()), all.keySet());
        }
    }

    @Test
    void evalCommandPrintsRetrievalAloneAndReranked() throws Exception {
        Path b = beir();
        var t = embtune.cli.EvalCommandAccess.run("--model", Fixtures.dir("tiny-bert").toString(), "--dataset", b.toString(),
                "--reranker", Fixtures.dir("tiny-bert-reranker").toString(), "--rerank_top_k", "4");
        String text = t.printAll();
        assertTrue(text.contains("reranked mrr@10") && text.contains("ndcg@10"), text);
    }
}
