package embtune.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.DataError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A retrieval evaluation set in the BEIR layout: {@code queries.jsonl} and {@code corpus.jsonl}
 * ({@code {"_id", "text"}} per line) and {@code qrels.tsv} ({@code query-id corpus-id score},
 * header first; score > 0 means relevant).
 */
public record RetrievalData(String name, List<String> queryIds, List<String> queries, List<String> docIds, List<String> docs,
                            List<Set<Integer>> relevant) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static boolean isRetrievalFolder(Path dir) {
        return Files.isDirectory(dir) && Files.exists(dir.resolve("queries.jsonl")) && Files.exists(dir.resolve("corpus.jsonl"))
                && Files.exists(dir.resolve("qrels.tsv"));
    }

    public static RetrievalData load(Path dir) {
        Map<String, String> queries = texts(dir.resolve("queries.jsonl")), corpus = texts(dir.resolve("corpus.jsonl"));
        List<String> docIds = new ArrayList<>(corpus.keySet());
        Map<String, Integer> docIndex = new LinkedHashMap<>();
        for (int i = 0; i < docIds.size(); i++) docIndex.put(docIds.get(i), i);
        Map<String, Set<Integer>> rel = new LinkedHashMap<>();
        Path qrels = dir.resolve("qrels.tsv");
        try {
            List<String> lines = Files.readAllLines(qrels);
            for (int i = 1; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                String[] f = lines.get(i).split("\t");
                if (f.length < 3) throw new DataError(qrels.toString(), i + 1, null, "expected query-id, corpus-id, score");
                if (!queries.containsKey(f[0])) throw new DataError(qrels.toString(), i + 1, "query-id", "unknown query " + f[0]);
                Integer d = docIndex.get(f[1]);
                if (d == null) throw new DataError(qrels.toString(), i + 1, "corpus-id", "unknown document " + f[1]);
                if (Double.parseDouble(f[2]) > 0) rel.computeIfAbsent(f[0], k -> new HashSet<>()).add(d);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> qIds = new ArrayList<>(queries.keySet());
        List<Set<Integer>> relevant = new ArrayList<>();
        for (String q : qIds) relevant.add(rel.getOrDefault(q, Set.of()));
        return new RetrievalData(dir.getFileName().toString(), qIds, new ArrayList<>(queries.values()), docIds,
                new ArrayList<>(corpus.values()), relevant);
    }

    private static Map<String, String> texts(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                JsonNode n;
                try {
                    n = JSON.readTree(lines.get(i));
                } catch (IOException e) {
                    throw new DataError(file.toString(), i + 1, null, "malformed JSON");
                }
                if (!n.hasNonNull("_id")) throw new DataError(file.toString(), i + 1, "_id", "missing");
                if (!n.hasNonNull("text")) throw new DataError(file.toString(), i + 1, "text", "missing");
                String title = n.path("title").asText("");
                out.put(n.get("_id").asText(), title.isEmpty() ? n.get("text").asText() : title + " " + n.get("text").asText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    /** Retrieval metrics of a model: queries embedded with its query prompt, documents as they are. */
    public Map<String, Double> evaluate(embtune.model.Embedder model) {
        return RetrievalMetrics.compute(model.embedQueries(queries), model.embed(docs), relevant);
    }

    /**
     * Retrieve-then-rerank: the embedder's best {@code topK} documents of each query reordered by
     * the reranker, the rest of its ranking after them; the metrics are then those of
     * {@link #evaluate(embtune.model.Embedder)}, so the two compare directly.
     */
    public Map<String, Double> evaluate(embtune.model.Embedder model, embtune.rerank.Reranker reranker, int topK) {
        List<int[]> rankings = RetrievalMetrics.rankings(model.embedQueries(queries), model.embed(docs));
        for (int i = 0; i < rankings.size(); i++) {
            int[] ranking = rankings.get(i);
            int k = Math.min(topK, ranking.length);
            List<String> head = new java.util.ArrayList<>();
            for (int r = 0; r < k; r++) head.add(docs.get(ranking[r]));
            List<embtune.rerank.Reranker.Ranked> reordered = reranker.rank(queries.get(i), head);
            int[] out = ranking.clone();
            for (int r = 0; r < k; r++) out[r] = ranking[reordered.get(r).index()];
            rankings.set(i, out);
        }
        return RetrievalMetrics.fromRankings(rankings, relevant);
    }

    @Override
    public String toString() {
        return "RetrievalData " + name + ": " + queries.size() + " queries, " + docs.size() + " documents";
    }
}
