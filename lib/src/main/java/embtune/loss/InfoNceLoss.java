package embtune.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * InfoNCE as ms-swift computes it. Rows come in groups {@code [q_g, p_g, n_g1..n_gk]}.
 * <pre>
 * use_batch (default): docs = all [p_g, n_g...] of the batch; logits_g = q_g . docs / T,
 *                      target = column of p_g; every other sample's positive and negatives
 *                      are negatives too.
 *   + QQ:   q_g . q_h (h != g) joins the row        + DD: p_g . docs (own column excluded)
 *   + mask: entries of q_g . docs and q_g . q_h above (q_g . p_g + margin) are dropped
 * own negatives only:  logits_g = [q_g.p_g, q_g.n_g1, ...] / T, target 0
 * loss = mean_g cross_entropy(logits_g, target_g)
 * </pre>
 * Vectors are unit length, so dot = cosine. Data: positives, with or without hard negatives.
 * Relation: sentence-transformers' MultipleNegativesRankingLoss with scale = 1/T, minus QQ/DD/
 * the mask, and negatives pooled across the batch. Fixtures: every "infonce_*" case.
 */
public final class InfoNceLoss implements EmbeddingLoss {
    private final InfoNceOptions options;
    private final Random random;

    public InfoNceLoss(InfoNceOptions options) {
        this(options, new Random(42));
    }

    public InfoNceLoss(InfoNceOptions options, Random random) {
        this.options = options;
        this.random = random;
    }

    public InfoNceOptions options() {
        return options;
    }

    @Override
    public boolean wantsPairs() {
        return false;
    }

    @Override
    public NDArray compute(NDArray rows, Layout layout) {
        if (layout.isPairs()) throw new IllegalArgumentException("infonce needs a group layout, got " + layout);
        if (rows.getShape().get(0) != layout.rows())
            throw new IllegalArgumentException(rows.getShape().get(0) + " rows but the layout describes " + layout.rows());
        Groups g = Groups.of(layout.groupNegatives(), options.hardNegatives(), layout.sampling() != null ? layout.sampling() : random);
        NDManager m = rows.getManager();
        NDArray q = take(rows, g.queries, m);
        NDArray targets;
        NDArray logits;
        if (!options.useBatch()) {
            // [B, K] own documents, padded with the positive and masked out
            int b = g.size(), k = g.maxDocs();
            long[] idx = new long[b * k];
            boolean[] pad = new boolean[b * k];
            for (int i = 0; i < b; i++)
                for (int j = 0; j < k; j++) {
                    boolean real = j < g.docs[i].length;
                    idx[i * k + j] = real ? g.docs[i][j] : g.docs[i][0];
                    pad[i * k + j] = !real;
                }
            NDArray docs = take(rows, idx, m).reshape(b, k, -1);
            NDArray scores = docs.mul(q.expandDims(1)).sum(new int[] {-1});
            logits = masked(m.create(pad, new Shape(b, k)), scores);
            targets = m.zeros(new Shape(b, 1), DataType.INT64);
        } else {
            NDArray docs = take(rows, g.allDocs(), m);
            NDArray qd = q.matMul(docs.transpose());
            long[] cols = g.positiveColumns();
            targets = m.create(cols).reshape(cols.length, 1);
            NDList parts = new NDList();
            NDArray threshold = null;
            if (options.maskFakeNegative()) {
                // threshold from detached cosines: the mask is a selection, not something to learn through
                threshold = qd.stopGradient().gather(targets, 1).add(PairOps.scalar(rows, options.fakeNegMargin()));
                qd = masked(qd.stopGradient().gt(threshold), qd);
            }
            parts.add(qd);
            if (options.includeQQ()) {
                NDArray qq = q.matMul(q.transpose());
                qq = masked(eye(m, g.size(), g.size(), null), qq);
                if (threshold != null) qq = masked(qq.stopGradient().gt(threshold), qq);
                parts.add(qq);
            }
            if (options.includeDD()) {
                NDArray p = take(rows, g.positives(), m);
                NDArray dd = p.matMul(docs.transpose());
                dd = masked(eye(m, g.size(), cols.length == 0 ? 0 : (int) docs.getShape().get(0), cols), dd);
                parts.add(dd);
            }
            logits = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
        }
        NDArray logp = logits.div(PairOps.scalar(rows, options.temperature())).logSoftmax(1);
        return logp.gather(targets, 1).neg().mean();
    }

    private static NDArray take(NDArray rows, long[] idx, NDManager m) {
        return rows.get(new NDIndex("{}", m.create(idx)));
    }

    /** x with -inf where cond is true (DJL's where does not broadcast, so the fill is full size). */
    private static NDArray masked(NDArray cond, NDArray x) {
        return NDArrays.where(cond, x.getManager().full(x.getShape(), Float.NEGATIVE_INFINITY, x.getDataType()), x);
    }

    /** [rows, cols] boolean with true at (i, col_i) — col_i = i when cols is null. */
    private static NDArray eye(NDManager m, int rows, int ncols, long[] cols) {
        boolean[] e = new boolean[rows * ncols];
        for (int i = 0; i < rows; i++) e[i * ncols + (int) (cols == null ? i : cols[i])] = true;
        return m.create(e, new Shape(rows, ncols));
    }

    /** Row indices of each group's query and documents, after the hard-negative rule. */
    public record Groups(long[] queries, long[][] docs) {
        public static Groups of(int[] negatives, Integer force, Random random) {
            int b = negatives.length;
            long[] q = new long[b];
            long[][] docs = new long[b][];
            int start = 0;
            for (int g = 0; g < b; g++) {
                int k = negatives[g];
                q[g] = start;
                long pos = start + 1;
                int n = force == null ? k : force;
                if (force != null && k == 0)
                    throw new IllegalArgumentException("INFONCE_HARD_NEGATIVES=" + force + " needs at least one negative in every "
                            + "sample; group " + g + " has none");
                docs[g] = new long[n + 1];
                docs[g][0] = pos;
                for (int j = 0; j < n; j++)
                    // keep the first n; draw the missing ones from the group's own negatives (never the positive)
                    docs[g][j + 1] = j < k ? pos + 1 + j : pos + 1 + random.nextInt(k);
                start += k + 2;
            }
            return new Groups(q, docs);
        }

        public int size() { return queries.length; }

        int maxDocs() {
            int k = 0;
            for (long[] d : docs) k = Math.max(k, d.length);
            return k;
        }

        public long[] allDocs() {
            return java.util.Arrays.stream(docs).flatMapToLong(java.util.Arrays::stream).toArray();
        }

        long[] positives() {
            long[] p = new long[docs.length];
            for (int g = 0; g < docs.length; g++) p[g] = docs[g][0];
            return p;
        }

        /** Column of each positive in allDocs(). */
        public long[] positiveColumns() {
            long[] c = new long[docs.length];
            long col = 0;
            for (int g = 0; g < docs.length; g++) {
                c[g] = col;
                col += docs[g].length;
            }
            return c;
        }
    }

    @Override
    public String toString() {
        InfoNceOptions o = options;
        return "infonce (T=" + o.temperature() + (o.useBatch() ? ", in-batch negatives" : ", own negatives only")
                + (o.hardNegatives() != null ? ", " + o.hardNegatives() + " hard negatives" : "")
                + (o.maskFakeNegative() ? ", fake negatives masked at +" + o.fakeNegMargin() : "")
                + (o.includeQQ() ? ", +QQ" : "") + (o.includeDD() ? ", +DD" : "") + ")";
    }
}
