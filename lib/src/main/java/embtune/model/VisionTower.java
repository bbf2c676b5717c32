package embtune.model;

import embtune.engine.Cast;
import embtune.nn.Attention;
import embtune.nn.LayerNorm;
import embtune.nn.Linear;
import embtune.nn.Module;
import embtune.nn.ModuleList;
import embtune.nn.Rope;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;

/**
 * Qwen2-VL's vision transformer: image patches in, one token per merge window out, in the text
 * model's width.
 * <pre>
 * h = patch_embed(pixels)                         [N, embed]   a linear map of each 3 x T x P x P patch
 * for each block:                                              pre-norm LayerNorm, each image attends to itself only,
 *   h = h + proj(attn(rot(q), rot(k), v))                      2-D rotary: half the frequencies on the patch row, half on the column
 *   h = h + fc2(act(fc1(norm2(h))))
 * out = mlp(ln_q(h) viewed as [N / m^2, m^2 embed])  [N/m^2, hidden]   each merge window of m x m patches becomes one token
 * </pre>
 */
public class VisionTower extends Module {
    final PatchEmbed patchEmbed;
    final ModuleList<Block> blocks;
    final Merger merger;
    final ModelConfig.VisionConfig v;

    public VisionTower(ModelConfig.VisionConfig v, int hidden) {
        this.v = v;
        patchEmbed = child("patch_embed", new PatchEmbed(v));
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < v.depth(); i++) blocks.add(new Block(v));
        merger = child("merger", new Merger(v.embedDim(), v.mergeSize(), hidden));
    }

    /** patches [N, patch_dim], grids (t, h, w) per image in patches -> [N / merge^2, hidden]. */
    public NDArray forward(NDArray patches, long[][] grids) {
        NDList rotary = rotary(grids, patches.getManager());
        long[] lengths = new long[grids.length];
        for (int i = 0; i < grids.length; i++) lengths[i] = grids[i][0] * grids[i][1] * grids[i][2];
        NDArray h = patchEmbed.forward(Cast.to(patches, activations()));
        for (Block b : blocks.items()) h = b.forward(h, rotary, lengths);
        return merger.forward(h);
    }

    /**
     * cos and signed sin (see {@link Rope#rotate}) [N, 1, head_dim] for each patch's (row, column) in the processor's merge-window order:
     * frequencies theta^(-2i/(head_dim/2)), i < head_dim/4, laid out [row freqs, column freqs] twice.
     */
    NDList rotary(long[][] grids, NDManager manager) {
        int d = v.headDim(), quarter = d / 4, m = v.mergeSize();
        float[] inv = Rope.inverseFrequencies(d / 2, v.ropeTheta());
        long n = 0;
        for (long[] g : grids) n += g[0] * g[1] * g[2];
        float[] cos = new float[(int) n * d], sin = new float[(int) n * d];
        int row = 0;
        for (long[] g : grids)
            for (int t = 0; t < g[0]; t++)
                for (int wy = 0; wy < g[1] / m; wy++)
                    for (int wx = 0; wx < g[2] / m; wx++)
                        for (int my = 0; my < m; my++)
                            for (int mx = 0; mx < m; mx++, row++) {
                                int y = wy * m + my, x = wx * m + mx;
                                int o = row * d;
                                for (int j = 0; j < quarter; j++) {
                                    float ay = y * inv[j], ax = x * inv[j]; // float32 products, as torch
                                    cos[o + j] = (float) Math.cos(ay);
                                    sin[o + j] = (float) Math.sin(ay);
                                    cos[o + quarter + j] = (float) Math.cos(ax);
                                    sin[o + quarter + j] = (float) Math.sin(ax);
                                }
                                System.arraycopy(cos, o, cos, o + d / 2, d / 2); // the second half repeats the first
                                System.arraycopy(sin, o, sin, o + d / 2, d / 2);
                            }
        return new NDList(manager.create(cos, new Shape(n, 1, d)), manager.create(Rope.signed(sin, d), new Shape(n, 1, d)));
    }

    /** A Conv3d whose stride equals its kernel is one matrix product per patch: x W^T with W [embed, 3*T*P*P]. */
    static class PatchEmbed extends Module {
        final Parameter weight;
        final int embed;

        PatchEmbed(ModelConfig.VisionConfig v) {
            embed = v.embedDim();
            Module proj = new Module() {};
            weight = proj.param("weight", v.embedDim(), v.inChannels(), v.temporalPatchSize(), v.patchSize(), v.patchSize());
            child("proj", proj);
        }

        NDArray forward(NDArray patches) {
            return patches.matMul(weight(weight).reshape(embed, -1).transpose());
        }
    }

    static class Block extends Module {
        final LayerNorm norm1, norm2;
        final Linear qkv, proj, fc1, fc2;
        final int heads, headDim;
        final boolean quickGelu;
        NDArray scale, quick;

        Block(ModelConfig.VisionConfig v) {
            heads = v.heads();
            headDim = v.headDim();
            quickGelu = v.hiddenAct().equals("quick_gelu");
            norm1 = child("norm1", new LayerNorm(v.embedDim(), 1e-6, true));
            norm2 = child("norm2", new LayerNorm(v.embedDim(), 1e-6, true));
            Module attn = child("attn", new Module() {});
            qkv = attn.child("qkv", new Linear(v.embedDim(), 3L * v.embedDim(), true));
            proj = attn.child("proj", new Linear(v.embedDim(), v.embedDim(), true));
            Module mlp = child("mlp", new Module() {});
            fc1 = mlp.child("fc1", new Linear(v.embedDim(), (long) v.embedDim() * v.mlpRatio(), true));
            fc2 = mlp.child("fc2", new Linear((long) v.embedDim() * v.mlpRatio(), v.embedDim(), true));
        }

        @Override
        protected void onLoad(NDManager manager) {
            scale = Attention.scale(manager, headDim);
            quick = manager.create(1.702f);
        }

        NDArray forward(NDArray h, NDList rotary, long[] lengths) {
            h = h.add(attention(norm1.forward(h), rotary, lengths));
            NDArray a = fc1.forward(norm2.forward(h));
            a = quickGelu ? a.mul(Activation.sigmoid(a.mul(quick))) : Activation.gelu(a);
            return h.add(fc2.forward(a));
        }

        /** Full attention within each image (its own segment of the rows), none across images. */
        NDArray attention(NDArray x, NDList rotary, long[] lengths) {
            long n = x.getShape().get(0);
            NDArray qkvs = qkv.forward(x).reshape(n, 3, heads, headDim);
            NDArray cos = Cast.to(rotary.get(0), x.getDataType()), sin = Cast.to(rotary.get(1), x.getDataType());
            NDArray q = Rope.rotate(qkvs.get(":, 0"), cos, sin), k = Rope.rotate(qkvs.get(":, 1"), cos, sin), v = qkvs.get(":, 2");
            NDList outs = new NDList();
            long start = 0;
            for (long len : lengths) {
                NDIndex rows = new NDIndex("{}:{}", start, start + len);
                // [len, H, D] -> [1, H, len, D]
                NDArray qi = q.get(rows).transpose(1, 0, 2).expandDims(0), ki = k.get(rows).transpose(1, 0, 2).expandDims(0);
                NDArray vi = v.get(rows).transpose(1, 0, 2).expandDims(0);
                // under bf16 the products are bfloat16 and the softmax float32, as autocast runs them
                NDArray scores = Cast.toFloat32(qi.matMul(ki.transpose(0, 1, 3, 2))).mul(scale).softmax(-1);
                outs.add(Cast.to(scores, Cast.type(vi)).matMul(vi).squeeze(0).transpose(1, 0, 2).reshape(len, (long) heads * headDim));
                start += len;
            }
            return proj.forward(outs.size() == 1 ? outs.head() : NDArrays.concat(outs));
        }
    }

    /** ln_q, then a 2-layer GELU MLP (torch.nn.Sequential indices 0 and 2) over each window's m^2 patches side by side. */
    static class Merger extends Module {
        final LayerNorm lnQ;
        final Linear fc1, fc2;
        final long width;

        Merger(int embed, int merge, int hidden) {
            width = (long) embed * merge * merge;
            lnQ = child("ln_q", new LayerNorm(embed, 1e-6, true));
            Module mlp = child("mlp", new Module() {});
            fc1 = mlp.child("0", new Linear(width, width, true));
            fc2 = mlp.child("2", new Linear(width, hidden, true));
        }

        NDArray forward(NDArray h) {
            return fc2.forward(Activation.gelu(fc1.forward(lnQ.forward(h).reshape(-1, width))));
        }
    }
}
