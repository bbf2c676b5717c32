package embtune.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Shared pieces of the pair losses: split rows into (u, v) and compare them. */
final class PairOps {
    private PairOps() {}

    static NDArray even(NDArray rows) {
        return rows.get(new NDIndex("0::2"));
    }

    static NDArray odd(NDArray rows) {
        return rows.get(new NDIndex("1::2"));
    }

    /** cos(u_i, v_i) for each pair. */
    static NDArray cosine(NDArray rows) {
        NDArray u = even(rows), v = odd(rows);
        return u.mul(v).sum(new int[] {-1}).div(u.norm(new int[] {-1}).mul(v.norm(new int[] {-1})));
    }

    /** Cosine distance d = 1 - cos(u, v) of each pair, the distance both contrastive losses use. */
    static NDArray cosineDistance(NDArray rows) {
        return scalar(rows, 1).sub(cosine(rows));
    }

    /** max(0, margin - d)^2: how much a dissimilar pair is still inside the margin. */
    static NDArray marginPush(NDArray d, double margin) {
        return scalar(d, margin).sub(d).maximum(scalar(d, 0)).square();
    }

    /** Labels as a tensor of the rows' dtype on their device. */
    static NDArray labels(NDArray rows, Layout layout) {
        if (!layout.isPairs()) throw new IllegalArgumentException("pair losses need a pair layout, got " + layout);
        if (rows.getShape().get(0) != layout.rows())
            throw new IllegalArgumentException(rows.getShape().get(0) + " rows but the layout describes " + layout.rows());
        return rows.getManager().create(layout.labels()).toType(rows.getDataType(), false);
    }

    static NDArray scalar(NDArray like, double v) {
        return like.getManager().create(v).toType(like.getDataType(), false);
    }
}
