package embtune.mine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.KnnCollector;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.util.hnsw.HnswGraph;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.HnswGraphSearcher;
import org.apache.lucene.util.hnsw.NeighborArray;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;

/**
 * Approximate nearest neighbours with Lucene's HNSW graph, for corpora where exact search is too
 * slow. The graph is built in memory over the unit vectors (dot product); a query walks it with a
 * beam of {@code max(k, ef)} and the hits are rescored exactly, so the scores are the same numbers
 * exact search gives, only some neighbours may be missing: {@link #recall} measures how many.
 */
public final class HnswSearch implements Search {
    private static final VectorSimilarityFunction DOT = VectorSimilarityFunction.DOT_PRODUCT;

    private final float[][] docs;
    private final RandomAccessVectorValues.Floats values;
    private final OnHeapHnswGraph graph;
    private final int m, beamWidth, ef;

    /**
     * @param m         graph degree (Lucene's maxConn; 16 by default)
     * @param beamWidth candidates considered while linking a node (Lucene's default 100)
     * @param ef        the search beam: at least k; larger finds more true neighbours, slower
     * @param seed      fixes the graph's random levels
     * @param built     told the number of documents linked so far
     */
    public HnswSearch(float[][] docs, int m, int beamWidth, int ef, long seed, IntConsumer built) {
        if (docs.length == 0) throw new IllegalArgumentException("no documents to index");
        this.docs = docs;
        this.m = m;
        this.beamWidth = beamWidth;
        this.ef = ef;
        this.values = RandomAccessVectorValues.fromFloats(List.of(docs), docs[0].length);
        try {
            var builder = HnswGraphBuilder.create(DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorerSupplier(DOT, values), m, beamWidth, seed);
            for (int i = 0; i < docs.length; i++) {
                builder.addGraphNode(i);
                if (built != null && ((i + 1) % 1024 == 0 || i + 1 == docs.length)) built.accept(i + 1);
            }
            this.graph = builder.getCompletedGraph();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public HnswSearch(float[][] docs) {
        this(docs, HnswGraphBuilder.DEFAULT_MAX_CONN, HnswGraphBuilder.DEFAULT_BEAM_WIDTH, 100, 42, null);
    }

    @Override
    public Neighbours search(float[][] queries, int k, IntConsumer done) {
        int[][] ids = new int[queries.length][];
        float[][] scores = new float[queries.length][];
        AtomicInteger finished = new AtomicInteger();
        // the graph is read-only now: queries walk it in parallel, each through its own View
        IntStream.range(0, queries.length).parallel().forEach(q -> {
            one(queries[q], k, q, ids, scores);
            int f = finished.incrementAndGet();
            if (done != null && (f % 256 == 0 || f == queries.length)) done.accept(f);
        });
        return new Neighbours(ids, scores);
    }

    private void one(float[] query, int k, int row, int[][] ids, float[][] scores) {
        ScoreDoc[] hits;
        try {
            var scorer = DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(DOT, values, query);
            KnnCollector c = new TopKnnCollector(Math.max(k, ef), Integer.MAX_VALUE);
            HnswGraphSearcher.search(scorer, c, new View(graph), null);
            hits = c.topDocs().scoreDocs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Lucene scores a dot product as (1 + dot) / 2; rescore exactly so every score is comparable with exact search
        Integer[] order = new Integer[hits.length];
        float[] exact = new float[hits.length];
        for (int i = 0; i < hits.length; i++) {
            order[i] = i;
            exact[i] = dot(query, docs[hits[i].doc]);
        }
        Arrays.sort(order, (a, b) -> exact[a] != exact[b] ? Float.compare(exact[b], exact[a]) : Integer.compare(hits[a].doc, hits[b].doc));
        int keep = Math.min(k, hits.length);
        ids[row] = new int[keep];
        scores[row] = new float[keep];
        for (int i = 0; i < keep; i++) {
            ids[row][i] = hits[order[i]].doc;
            scores[row][i] = exact[order[i]];
        }
    }

    /**
     * The finished graph with a read cursor of its own: OnHeapHnswGraph keeps one seek position for
     * all its readers, so each concurrent search walks the graph through its own view.
     */
    private static final class View extends HnswGraph {
        private final OnHeapHnswGraph graph;
        private int[] neighbours = new int[0];
        private int size, upto;

        View(OnHeapHnswGraph graph) {
            this.graph = graph;
        }

        @Override
        public void seek(int level, int node) {
            NeighborArray n = graph.getNeighbors(level, node);
            neighbours = n.nodes();
            size = n.size();
            upto = -1;
        }

        @Override
        public int nextNeighbor() {
            return ++upto < size ? neighbours[upto] : DocIdSetIterator.NO_MORE_DOCS;
        }

        @Override public int size() { return graph.size(); }
        @Override public int maxNodeId() { return graph.maxNodeId(); }
        @Override public int numLevels() { return graph.numLevels(); }
        @Override public int entryNode() { return graph.entryNode(); }
        @Override public NodesIterator getNodesOnLevel(int level) { return graph.getNodesOnLevel(level); }
    }

    static float dot(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /**
     * recall@k against exact search: the share of each query's true k nearest documents the graph
     * also returns, averaged over the queries.
     */
    public double recall(Search exact, float[][] queries, int k) {
        Neighbours truth = exact.search(queries, k, null), found = search(queries, k, null);
        double sum = 0;
        for (int q = 0; q < queries.length; q++) {
            java.util.Set<Integer> got = new java.util.HashSet<>();
            for (int id : found.ids()[q]) got.add(id);
            int hit = 0;
            for (int id : truth.ids()[q]) if (got.contains(id)) hit++;
            sum += truth.ids()[q].length == 0 ? 1 : (double) hit / truth.ids()[q].length;
        }
        return sum / queries.length;
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return String.format("HnswSearch: %,d documents, M %d, beam width %d, ef %d", docs.length, m, beamWidth, ef);
    }
}
