package embtune.model;

import embtune.engine.Cast;
import embtune.nn.Rope;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import embtune.engine.Torch;

/**
 * Qwen2-VL as an embedding encoder (GME): the Qwen2 text model, whose input embeddings at the
 * {@code <|image_pad|>} placeholders are replaced by the vision tower's tokens, in order, and whose
 * rotary positions are M-RoPE's: each token has a (temporal, height, width) position, and the
 * rotary frequencies are split into three sections, each turned by one of the three. Text tokens
 * have the same position on all three axes (so text alone is plain RoPE); an image's tokens share
 * the temporal one and count rows and columns of its merge windows.
 * <pre>
 * inputs: [ids, mask]                                    text only: positions 0..T-1
 *       | [ids, mask, positions [3, B, T]]               with images also
 *       | [ids, mask, positions, patches [N, 3*T*P*P], grids [images, 3]]
 * </pre>
 */
public class QwenVlEncoder extends QwenEncoder {
    final VisionTower visual;
    private final ModelConfig.VisionConfig v;
    private NDArray sections; // [3, head_dim]: inv_freq where the column's section is that axis, else 0
    private NDArray sinSigns; // [head_dim]: -1 then +1, rotate_half's sign for the sin table (Rope.rotate)

    public QwenVlEncoder(ModelConfig c) {
        super(c);
        v = c.vision();
        visual = child("visual", new VisionTower(v, c.hiddenSize()));
    }

    @Override
    protected void onLoad(NDManager manager) {
        super.onLoad(manager);
        int d = config.headDim();
        float[] inv = Rope.inverseFrequencies(d, config.ropeThetaPerLayer().get(0));
        float[] w = new float[3 * d];
        for (int j = 0; j < d; j++) {
            int i = j % (d / 2), axis = i < v.mropeSection().get(0) ? 0 : i < v.mropeSection().get(0) + v.mropeSection().get(1) ? 1 : 2;
            w[axis * d + j] = inv[i];
        }
        sections = manager.create(w, new Shape(3, d));
        float[] ones = new float[d];
        java.util.Arrays.fill(ones, 1f);
        sinSigns = manager.create(Rope.signed(ones, d));
        ai.djl.ndarray.NDScope.unregister(sections, sinSigns);
    }

    @Override
    public Masks masks(NDList inputs) {
        Masks text = masks(inputs.get(1));
        if (inputs.size() < 3) return text;
        // angle[b, t, j] = position[axis(j), b, t] * inv_freq[j]: a product with two exact zeros added, as torch's float32 outer product
        NDArray angles = inputs.get(2).toType(DataType.FLOAT32, false).transpose(1, 2, 0).matMul(sections).expandDims(1);
        return new Masks(text.full(), text.local(), new NDList(angles.cos(), angles.sin().muli(sinSigns)), text.causalUnpadded());
    }

    @Override
    public NDArray embed(NDList inputs) {
        NDArray h = embed(inputs.get(0));
        if (inputs.size() < 5) return h;
        long[] g = inputs.get(4).toLongArray();
        long[][] grids = new long[g.length / 3][];
        for (int i = 0; i < grids.length; i++) grids[i] = new long[] {g[3 * i], g[3 * i + 1], g[3 * i + 2]};
        NDArray features = Cast.to(visual.forward(inputs.get(3), grids), h.getDataType());
        // masked_scatter as a gather: row p of [h; features] is p itself, or B*T + (its rank among the image tokens)
        long[] s = h.getShape().getShape();
        long bt = s[0] * s[1];
        NDArray isImage = inputs.get(0).reshape(bt).eq(v.imageTokenId());
        NDArray rank = isImage.toType(DataType.INT64, false).cumSum(0).sub(1).add(bt);
        NDArray index = NDArrays.where(isImage, rank, h.getManager().arange(0, bt, 1, DataType.INT64));
        return h.reshape(bt, s[2]).concat(features, 0).get(index).reshape(s[0], s[1], s[2]);
    }

    @Override
    public boolean embeddingsTrainable() {
        if (super.embeddingsTrainable()) return true;
        for (var p : visual.namedParameters().values()) if (Torch.requiresGrad(p.getArray())) return true;
        return false;
    }
}
