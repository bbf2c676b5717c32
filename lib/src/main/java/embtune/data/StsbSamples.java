package embtune.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds the bundled {@code datasets/} samples from the raw STS Benchmark files, one per row of
 * the data-type table. Deterministic: the same input gives byte-identical files.
 *
 * <pre>
 * stsb-{train,dev,test}.jsonl   scored pairs, label = score/5          (query/response format)
 * stsb-binary-train.jsonl       score >= 4 -> 1, score <= 1 -> 0       (messages format)
 * stsb-infonce-train.jsonl      score >= 4 pairs + one hard negative   (query/response/rejected_response)
 * stsb-infonce-dev.jsonl        the same from the dev split: held-out evaluation of InfoNCE runs
 * stsb-retrieval-test/          queries, corpus, qrels from the test split
 * </pre>
 *
 * Hard negatives: among sentences of low-scored pairs (score <= 1) of the same genre, the one
 * sharing the most words with the query (Jaccard), so it looks related but means something else.
 */
public final class StsbSamples {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Pair(String genre, double score, String s1, String s2) {}

    private StsbSamples() {}

    public static void build(Path stsbDir, Path out) {
        List<Pair> train = read(stsbDir.resolve("sts-train.csv"));
        List<Pair> dev = read(stsbDir.resolve("sts-dev.csv"));
        List<Pair> test = read(stsbDir.resolve("sts-test.csv"));
        try {
            Files.createDirectories(out);
            writeScored(out.resolve("stsb-train.jsonl"), train);
            writeScored(out.resolve("stsb-dev.jsonl"), dev);
            writeScored(out.resolve("stsb-test.jsonl"), test);
            writeBinary(out.resolve("stsb-binary-train.jsonl"), train);
            writeInfonce(out.resolve("stsb-infonce-train.jsonl"), train);
            writeInfonce(out.resolve("stsb-infonce-dev.jsonl"), dev);
            writeRetrieval(out.resolve("stsb-retrieval-test"), test);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Pair> read(Path file) {
        List<Pair> pairs = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                String[] f = line.split("\t", -1);
                pairs.add(new Pair(f[0], Double.parseDouble(f[4]), f[5].strip(), f[6].strip()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pairs;
    }

    private static void writeScored(Path file, List<Pair> pairs) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Pair p : pairs) {
                ObjectNode o = JSON.createObjectNode().put("query", p.s1).put("response", p.s2);
                o.put("label", Math.round(p.score / 5 * 1e4) / 1e4);
                w.write(JSON.writeValueAsString(o) + "\n");
            }
        }
    }

    private static void writeBinary(Path file, List<Pair> pairs) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Pair p : pairs) {
                if (p.score > 1 && p.score < 4) continue;
                ObjectNode o = JSON.createObjectNode();
                o.putArray("messages").addObject().put("role", "user").put("content", p.s1);
                o.putArray("positive_messages").addArray().addObject().put("role", "user").put("content", p.s2);
                o.put("label", p.score >= 4 ? 1 : 0);
                w.write(JSON.writeValueAsString(o) + "\n");
            }
        }
    }

    private static void writeInfonce(Path file, List<Pair> pairs) throws IOException {
        Map<String, List<String>> lowByGenre = new LinkedHashMap<>();
        for (Pair p : pairs)
            if (p.score <= 1) {
                List<String> l = lowByGenre.computeIfAbsent(p.genre, g -> new ArrayList<>());
                l.add(p.s1);
                l.add(p.s2);
            }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Pair p : pairs) {
                if (p.score < 4) continue;
                String neg = hardest(p, lowByGenre.getOrDefault(p.genre, List.of()));
                if (neg == null) continue;
                ObjectNode o = JSON.createObjectNode().put("query", p.s1).put("response", p.s2);
                o.putArray("rejected_response").add(neg);
                w.write(JSON.writeValueAsString(o) + "\n");
            }
        }
    }

    private static String hardest(Pair p, List<String> candidates) {
        Set<String> q = words(p.s1);
        String best = null;
        double bestScore = -1;
        for (String c : candidates) {
            if (c.equalsIgnoreCase(p.s1) || c.equalsIgnoreCase(p.s2)) continue;
            double j = jaccard(q, words(c));
            if (j > bestScore) {
                bestScore = j;
                best = c;
            }
        }
        return best;
    }

    static Set<String> words(String s) {
        Set<String> w = new HashSet<>();
        for (String t : s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) if (!t.isEmpty()) w.add(t);
        return w;
    }

    static double jaccard(Set<String> a, Set<String> b) {
        Set<String> inter = new HashSet<>(a);
        inter.retainAll(b);
        int union = a.size() + b.size() - inter.size();
        return union == 0 ? 0 : (double) inter.size() / union;
    }

    private static void writeRetrieval(Path dir, List<Pair> pairs) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> corpus = new LinkedHashMap<>(); // text -> id, deduplicated
        for (Pair p : pairs) corpus.putIfAbsent(p.s2, "d" + corpus.size());
        try (Writer c = Files.newBufferedWriter(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
            for (var e : corpus.entrySet())
                c.write(JSON.writeValueAsString(JSON.createObjectNode().put("_id", e.getValue()).put("text", e.getKey())) + "\n");
        }
        try (Writer q = Files.newBufferedWriter(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8);
             Writer r = Files.newBufferedWriter(dir.resolve("qrels.tsv"), StandardCharsets.UTF_8)) {
            r.write("query-id\tcorpus-id\tscore\n");
            int n = 0;
            Map<String, String> queryIds = new LinkedHashMap<>();
            for (Pair p : pairs) {
                if (p.score < 4) continue;
                String qid = queryIds.get(p.s1);
                if (qid == null) {
                    qid = "q" + n++;
                    queryIds.put(p.s1, qid);
                    q.write(JSON.writeValueAsString(JSON.createObjectNode().put("_id", qid).put("text", p.s1)) + "\n");
                }
                r.write(qid + "\t" + corpus.get(p.s2) + "\t1\n");
            }
        }
    }

    public static void main(String[] args) {
        build(Path.of(args.length > 0 ? args[0] : "datasets/stsbenchmark"), Path.of(args.length > 1 ? args[1] : "datasets"));
    }
}
