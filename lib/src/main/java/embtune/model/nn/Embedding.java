package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;

/** Row lookup in a [vocab, dim] table. */
public class Embedding extends Module {
    final Parameter weight;

    public Embedding(long count, long dim) {
        weight = param("weight", count, dim);
    }

    public NDArray forward(NDArray ids) {
        return ai.djl.nn.core.Embedding.embedding(ids, array(weight), SparseFormat.DENSE).head();
    }
}
