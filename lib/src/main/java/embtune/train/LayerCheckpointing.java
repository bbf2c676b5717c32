package embtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import embtune.model.Embedder;
import embtune.engine.Torch;
import embtune.model.Encoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient checkpointing, one transformer layer per segment. The forward pass runs without a
 * graph and keeps only each layer's input [B, T, hidden]; the backward pass walks the layers from
 * the top, re-running one layer with a graph and backpropagating the gradient that arrived at its
 * output:
 * <pre>
 * forward:   h0 = embed(ids); h(i+1) = layer_i(h_i)            (no graph; keep h_i)
 * top:       e = pool(finish(h_L)) -> loss, dL/dh_L            (graph of the head only)
 * layer i:   dL/dh_i = backward(layer_i(h_i requires grad), dL/dh(i+1))
 * bottom:    backward(embed(ids), dL/dh_0)                     (embedding tables' gradients)
 * </pre>
 * Memory: L+1 layer inputs plus one layer's activations, instead of every layer's activations;
 * cost: one more forward pass. Dropout draws repeat between the two passes, and equal a plain
 * pass's, because the embeddings and each layer reseed the engine the same way every time ({@link Encoder#reseed}).
 */
public final class LayerCheckpointing {
    private final Embedder model;

    public LayerCheckpointing(Embedder model) {
        this.model = model;
    }

    /** The no-graph forward: pooled embeddings plus what {@link #backward} needs. */
    public record Forward(NDArray embeddings, List<NDArray> layerInputs, Encoder.Masks masks, NDList inputs) {
        /** Keeps what backward needs past the NDScope it was made in (it still closes with its manager). */
        public Forward outliveScope() {
            layerInputs.forEach(NDScope::unregister);
            inputs.forEach(NDScope::unregister);
            masks.arrays().forEach(NDScope::unregister);
            return this;
        }

        public NDArray mask() {
            return inputs.get(1);
        }
    }

    public Forward forward(NDList inputs, long seed) {
        Encoder enc = model.encoder();
        NDArray mask = inputs.get(1);
        Encoder.Masks masks = enc.masks(inputs);
        List<NDArray> hs = new ArrayList<>();
        Encoder.reseed(seed, Encoder.EMBEDDINGS); // the parts reseed as a plain training pass does (Encoder.hidden)
        NDArray h = enc.embed(inputs);
        for (int i = 0; i < enc.layerCount(); i++) {
            hs.add(h);
            Encoder.reseed(seed, i);
            h = enc.scoped(i, h, masks); // nothing of the layer but its output survives
        }
        hs.add(h);
        return new Forward(model.pool(h, mask), hs, masks, inputs);
    }

    /** Backpropagates dL/d(embeddings) through the head, each layer from the top, then the embeddings. */
    public void backward(Forward f, NDArray embeddingGrad, long seed) {
        Encoder enc = model.encoder();
        int layers = enc.layerCount();
        NDArray grad = segment(f.layerInputs().get(layers), x -> model.pool(x, f.mask()), embeddingGrad);
        for (int i = layers - 1; i >= 0; i--) {
            final int index = i;
            Encoder.reseed(seed, i);
            NDArray next = segment(f.layerInputs().get(i), x -> enc.layer(index, x, f.masks()), grad);
            grad.close();
            f.layerInputs().get(i + 1).close();
            grad = next;
        }
        try (NDScope scope = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            Encoder.reseed(seed, Encoder.EMBEDDINGS);
            if (enc.embeddingsTrainable()) Torch.backward(enc.embed(f.inputs()), grad); // frozen embeddings (LoRA): nothing to re-run
        }
        grad.close();
    }

    /** Re-runs one segment on a leaf copy of its input and returns the gradient at that input. */
    private static NDArray segment(NDArray input, java.util.function.UnaryOperator<NDArray> fn, NDArray outGrad) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = input.stopGradient();
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Torch.backward(fn.apply(x), outGrad);
            }
            NDArray g = x.getGradient().duplicate(); // outlives the leaf it belongs to
            NDScope.unregister(g);
            return g;
        }
    }

}
