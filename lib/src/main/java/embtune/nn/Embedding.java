package embtune.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;

/**
 * Row lookup in a [vocab, dim] table. With a padding index (torch's {@code padding_idx}, which
 * transformers sets to pad_token_id), that row never receives a gradient.
 */
public class Embedding extends Module {
    final Parameter weight;
    private final Integer paddingIdx;

    public Embedding(long count, long dim) {
        this(count, dim, null);
    }

    public Embedding(long count, long dim, Integer paddingIdx) {
        this.weight = param("weight", count, dim);
        this.paddingIdx = paddingIdx;
    }

    public NDArray forward(NDArray ids) {
        NDArray out = ai.djl.nn.core.Embedding.embedding(ids, weight(weight), SparseFormat.DENSE).head();
        if (paddingIdx == null || !training || !embtune.engine.Torch.requiresGrad(array(weight))) return out; // a frozen table (LoRA) takes no gradient anyway
        // positions holding the padding id pass their value on but no gradient back to the table
        NDArray isPad = ids.eq(paddingIdx).expandDims(-1).broadcast(out.getShape());
        return NDArrays.where(isPad, out.stopGradient(), out);
    }
}
