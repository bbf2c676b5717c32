package embtune.mine;

import embtune.data.Dataset;
import embtune.data.Record;
import embtune.model.Embedder;
import embtune.rerank.Reranker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hard-negative mining: the step between a user's (query, positive) pairs and InfoNCE with
 * negatives. sentence-transformers' {@code mine_hard_negatives}, rebuilt: the candidates are the
 * positives plus an optional corpus, deduplicated; every query's nearest candidates are found by
 * exact search in blocks (or Lucene's HNSW), and {@link NegativeRules} picks the negatives.
 *
 * <pre>
 * var mined = Miner.with(model).rules(NegativeRules.defaults().relativeMargin(0.05)).mine(Dataset.load("pairs.jsonl"));
 * mined.write(Path.of("triplets.jsonl"), OutputFormat.TRIPLET, false);
 * Trainer.with(model).loss("infonce").fit(mined.dataset(OutputFormat.N_TUPLE));
 * </pre>
 *
 * With a {@link #reranker}, the candidates the search found are scored again by the reranker, and
 * the rules (margins, max_score, min_score, ranks) apply to its scores, as {@code cross_encoder=} does.
 *
 * Same data, same rules, same embeddings: the same negatives as sentence-transformers (a test holds
 * it to that). Duplicate queries are one query with several positives; a query's positives, and
 * any text equal to one of them, are never its negatives.
 */
public final class Miner {
    /** How the nearest candidates are found. */
    public enum Index { EXACT, HNSW;
        public static Index parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "exact" -> EXACT;
                case "hnsw" -> HNSW;
                default -> throw new IllegalArgumentException("index must be exact or hnsw, not '" + s + "'");
            };
        }
    }

    private final Teacher teacher;
    private Reranker reranker; // null: the teacher's similarities decide
    private NegativeRules rules = NegativeRules.defaults();
    private List<String> corpus = List.of();
    private String queryPrompt, corpusPrompt; // null: the teacher's own
    private Index index = Index.EXACT;
    private int recallSample = 1000;
    private long seed = 42;
    private final int chunk = 1024; // texts embedded between progress reports
    private java.util.function.Function<float[][], Search> exactSearch; // null: ExactSearch on the teacher's device

    private Miner(Teacher teacher) {
        this.teacher = teacher;
    }

    public static Miner with(Embedder model) {
        return new Miner(new LocalTeacher(model));
    }

    public static Miner with(Teacher teacher) {
        return new Miner(teacher);
    }

    public Miner rules(NegativeRules r) { this.rules = r; return this; }
    /** Documents that are candidates besides the positives (duplicates are dropped). */
    public Miner corpus(List<String> docs) { this.corpus = List.copyOf(docs); return this; }
    /** Text put before every query; null means the model's own query prompt. */
    public Miner queryPrompt(String p) { this.queryPrompt = p; return this; }
    /** Text put before every document; null means the model's own document prompt. */
    public Miner corpusPrompt(String p) { this.corpusPrompt = p; return this; }
    public Miner index(Index i) { this.index = i; return this; }
    /**
     * Rescores the search's candidates (and the positives) with this reranker before the rules
     * run. As in sentence-transformers, only when a margin or max_score is set: otherwise the
     * reranker would merely reorder what plain ranks pick anyway. The caller closes it.
     */
    public Miner reranker(Reranker r) { this.reranker = r; return this; }
    /** Queries HNSW's recall@k is measured on against exact search (0: not measured). */
    public Miner recallSample(int n) { this.recallSample = n; return this; }
    /**
     * Runs exact search with {@code search} (given the unit-length document vectors) instead of in
     * this process: the Spark miner spreads the documents over executors.
     */
    public Miner exactSearch(java.util.function.Function<float[][], Search> search) { this.exactSearch = search; return this; }
    /** Seeds {@code random} sampling and the HNSW graph. */
    public Miner seed(long s) { this.seed = s; return this; }

    public NegativeRules rules() { return rules; }

    /** Mines negatives for the data set's (anchor, positive) pairs; any negatives it already has are not used. */
    public Mined mine(Dataset pairs) {
        List<String> q = new ArrayList<>(pairs.size()), p = new ArrayList<>(pairs.size());
        for (Record r : pairs) {
            q.add(r.anchor());
            p.add(r.positive());
        }
        return mine(q, p);
    }

    /** Mines negatives for {@code queries.get(i)}, whose positive is {@code positives.get(i)}. */
    public Mined mine(List<String> queries, List<String> positives) {
        if (queries.size() != positives.size()) throw new IllegalArgumentException(queries.size() + " queries but " + positives.size() + " positives");
        if (queries.isEmpty()) throw new IllegalArgumentException("no pairs to mine negatives for");
        // candidates: the corpus, then the positives, each text once (sentence-transformers' order, so ids match theirs)
        Map<String, Integer> docIndex = new LinkedHashMap<>();
        for (String d : corpus) docIndex.putIfAbsent(d, docIndex.size());
        for (String d : positives) docIndex.putIfAbsent(d, docIndex.size());
        List<String> docs = new ArrayList<>(docIndex.keySet());
        // duplicate queries are one query with several positives
        Map<String, Integer> queryIndex = new LinkedHashMap<>();
        List<List<Integer>> positiveIds = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            int qi = queryIndex.computeIfAbsent(queries.get(i), k -> queryIndex.size());
            if (qi == positiveIds.size()) positiveIds.add(new ArrayList<>());
            int pid = docIndex.get(positives.get(i));
            if (!positiveIds.get(qi).contains(pid)) positiveIds.get(qi).add(pid);
        }
        List<String> uniqueQueries = new ArrayList<>(queryIndex.keySet());
        int maxPositives = 0;
        for (List<Integer> ids : positiveIds) maxPositives = Math.max(maxPositives, ids.size());
        int k = rules.candidates(maxPositives);
        embtune.Log.info(String.format("mine: %,d queries (%,d pairs), %,d candidate documents; %s; %d nearest per query, %s search",
                uniqueQueries.size(), queries.size(), docs.size(), rules, k, index.name().toLowerCase(java.util.Locale.ROOT)));

        Mined.Timing timing = new Mined.Timing();
        long t0 = System.nanoTime();
        float[][] docVectors = embed("documents", docs, corpusPrompt != null ? corpusPrompt : teacher.documentPrompt());
        timing.documentsPerSecond = docs.size() / seconds(t0);
        long t1 = System.nanoTime();
        float[][] queryVectors = embed("queries", uniqueQueries, queryPrompt != null ? queryPrompt : teacher.queryPrompt());
        timing.queriesEmbeddedPerSecond = uniqueQueries.size() / seconds(t1);

        Neighbours near = search(docVectors, queryVectors, k, timing);
        boolean rescore = reranker != null && rules.thresholded();
        if (reranker != null && !rescore)
            embtune.Log.note("mine: the reranker is not used: it rescores only with absolute_margin, relative_margin or max_score (as sentence-transformers)");
        if (rescore) near = rescore(uniqueQueries, docs, near);

        List<int[]> pos = new ArrayList<>();
        List<float[]> posScores = new ArrayList<>();
        List<NegativeRules.Picked> picked = new ArrayList<>();
        NegativeRules.Skipped skipped = new NegativeRules.Skipped();
        for (int qi = 0; qi < uniqueQueries.size(); qi++) {
            int[] ids = positiveIds.get(qi).stream().mapToInt(Integer::intValue).toArray();
            float[] s = new float[ids.length];
            float lowest = Float.POSITIVE_INFINITY;
            if (rescore) {
                String query = uniqueQueries.get(qi);
                s = reranker.scores(java.util.Collections.nCopies(ids.length, query), Arrays.stream(ids).mapToObj(docs::get).toList());
            }
            for (int j = 0; j < ids.length; j++) {
                if (!rescore) s[j] = HnswSearch.dot(queryVectors[qi], docVectors[ids[j]]);
                lowest = Math.min(lowest, s[j]);
            }
            pos.add(ids);
            posScores.add(s);
            picked.add(rules.pick(near.ids()[qi], near.scores()[qi], ids, lowest, maxPositives, NegativeRules.random(seed, qi), skipped));
        }
        Mined mined = new Mined(uniqueQueries, docs, pos, posScores, picked, rules, skipped, timing);
        embtune.Log.info(mined.toString());
        return mined;
    }

    /**
     * The same candidates, scored by the reranker and sorted by its scores, best first (ties keep
     * the search's order): the rules' ranks are then the reranker's ranks, as after
     * sentence-transformers' top-k over the rescored matrix.
     */
    private Neighbours rescore(List<String> queries, List<String> docs, Neighbours near) {
        int n = queries.size(), block = 64; // queries per reranker call: its batches fill across queries
        int[][] ids = new int[n][];
        float[][] scores = new float[n][];
        var eta = new Eta("rerank", n);
        for (int start = 0; start < n; start += block) {
            int end = Math.min(n, start + block);
            List<String> q = new ArrayList<>(), d = new ArrayList<>();
            for (int qi = start; qi < end; qi++)
                for (int id : near.ids()[qi]) {
                    q.add(queries.get(qi));
                    d.add(docs.get(id));
                }
            float[] s = reranker.scores(q, d);
            int at = 0;
            for (int qi = start; qi < end; qi++) {
                int[] cand = near.ids()[qi];
                float[] mine = Arrays.copyOfRange(s, at, at + cand.length);
                at += cand.length;
                Integer[] order = new Integer[cand.length];
                for (int j = 0; j < order.length; j++) order[j] = j;
                Arrays.sort(order, (a, b) -> Float.compare(mine[b], mine[a])); // stable: ties keep the search's order
                ids[qi] = Arrays.stream(order).mapToInt(j -> cand[j]).toArray();
                scores[qi] = new float[cand.length];
                for (int j = 0; j < cand.length; j++) scores[qi][j] = mine[order[j]];
            }
            eta.update(end);
        }
        embtune.Log.info(String.format("mine: %,d candidates rescored by reranker %s", pairs(near), reranker.dir()));
        return new Neighbours(ids, scores);
    }

    private static long pairs(Neighbours near) {
        long c = 0;
        for (int[] row : near.ids()) c += row.length;
        return c;
    }

    /** Each query's k nearest documents; for HNSW, also its recall@k against exact search on a sample of the queries. */
    private Neighbours search(float[][] docs, float[][] queries, int k, Mined.Timing timing) {
        if (index == Index.EXACT) {
            long t = System.nanoTime();
            try (Search exact = exact(docs)) {
                Neighbours near = exact.search(queries, k, new Eta("search", queries.length)::update);
                timing.queriesSearchedPerSecond = queries.length / seconds(t);
                return near;
            }
        }
        long t0 = System.nanoTime();
        try (HnswSearch hnsw = new HnswSearch(docs, 16, 100, 100, seed, new Eta("hnsw index", docs.length)::update)) {
            timing.indexSeconds = seconds(t0);
            long t1 = System.nanoTime();
            Neighbours near = hnsw.search(queries, k, new Eta("search", queries.length)::update);
            timing.queriesSearchedPerSecond = queries.length / seconds(t1);
            if (recallSample > 0) {
                int[] sample = sample(queries.length, recallSample, seed);
                float[][] some = new float[sample.length][];
                for (int i = 0; i < sample.length; i++) some[i] = queries[sample[i]];
                try (Search exact = exact(docs)) {
                    timing.recall = hnsw.recall(exact, some, k);
                    timing.recallK = k;
                    timing.recallQueries = some.length;
                }
            }
            return near;
        }
    }

    private Search exact(float[][] docs) {
        return exactSearch != null ? exactSearch.apply(docs) : new ExactSearch(docs, teacher.device());
    }

    /** n of 0..size-1, seeded, or all of them when n >= size. */
    static int[] sample(int size, int n, long seed) {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) all[i] = i;
        if (n >= size) return all;
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            int j = i + r.nextInt(size - i);
            int t = all[i]; all[i] = all[j]; all[j] = t;
        }
        return java.util.Arrays.copyOf(all, n);
    }

    /** Embeds in chunks (for progress), then scales every vector to unit length, as sentence-transformers' miner does. */
    private float[][] embed(String what, List<String> texts, String prompt) {
        float[][] out = new float[texts.size()][];
        var eta = new Eta("embed " + what, texts.size());
        for (int start = 0; start < texts.size(); start += chunk) {
            List<String> part = texts.subList(start, Math.min(texts.size(), start + chunk));
            if (!prompt.isEmpty()) part = part.stream().map(t -> prompt + t).toList();
            float[][] v = teacher.embed(part);
            System.arraycopy(v, 0, out, start, v.length);
            eta.update(start + v.length);
        }
        for (float[] v : out) normalise(v);
        return out;
    }

    static void normalise(float[] v) {
        double sq = 0;
        for (float x : v) sq += x * x;
        float n = (float) Math.max(Math.sqrt(sq), 1e-12); // torch.nn.functional.normalize's eps
        for (int i = 0; i < v.length; i++) v[i] /= n;
    }

    private static double seconds(long since) {
        return Math.max(1e-9, (System.nanoTime() - since) / 1e9);
    }

    @Override
    public String toString() {
        return "Miner with " + teacher.name() + (reranker != null ? ", rescored by " + reranker.dir() : "") + ": " + rules + ", " + String.format("%,d", corpus.size()) + " corpus documents, "
                + index.name().toLowerCase(java.util.Locale.ROOT) + " search";
    }
}
