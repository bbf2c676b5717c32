package embtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import embtune.loss.EmbeddingLoss;
import embtune.model.Embedder;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step, the part of the loop worth reading slowly:
 * <pre>
 * for each micro-batch:  embed rows -> loss / accum -> backward   (gradients add up)
 * norm = clip_global_norm(grads, max_grad_norm)
 * adamw.step(lr);  zero grads
 * </pre>
 * Returns the mean loss and the pre-clip gradient norm as device scalars: nothing here waits for
 * the device; the caller reads them when it logs.
 */
public final class TrainStep implements AutoCloseable {
    private final Embedder model;
    private final EmbeddingLoss loss;
    private final Map<String, Parameter> trainable;
    private final AdamW optimizer;
    private final double maxGradNorm;
    private final Integer miniBatchSize;
    private final NDManager manager;

    public record Result(NDArray loss, NDArray gradNorm) {}

    public TrainStep(Embedder model, EmbeddingLoss loss, Map<String, Parameter> trainable, AdamW optimizer, double maxGradNorm) {
        this(model, loss, trainable, optimizer, maxGradNorm, null);
    }

    /** @param miniBatchSize embed in chunks of this many texts (GradCache), or null for one pass */
    public TrainStep(Embedder model, EmbeddingLoss loss, Map<String, Parameter> trainable, AdamW optimizer, double maxGradNorm,
                     Integer miniBatchSize) {
        this.model = model;
        this.miniBatchSize = miniBatchSize;
        this.loss = loss;
        this.trainable = trainable;
        this.optimizer = optimizer;
        this.maxGradNorm = maxGradNorm;
        this.manager = model.manager().newSubManager();
        trainable.values().forEach(p -> p.getArray().setRequiresGradient(true));
    }

    /** Runs the step; the returned scalars belong to {@code out} (the caller closes it). */
    public Result run(List<StepBatch> microBatches, double lr, NDManager out) {
        model.encoder().train(true);
        NDArray total = null;
        NDArray accum = manager.create((float) microBatches.size()); // closed at the end of the step
        for (StepBatch mb : microBatches) {
            try (NDScope scope = new NDScope(); NDManager step = manager.newSubManager()) {
                scope.suppressNotUsedWarning();
                NDArray l = miniBatchSize == null ? backward(mb, accum, step) : cachedBackward(mb, accum, step);
                NDArray previous = total;
                total = previous == null ? l.stopGradient() : previous.add(l.stopGradient());
                NDScope.unregister(total);
                total.attach(manager); // outlives this micro-batch's manager
                if (previous != null) previous.close();
            }
        }
        NDArray meanLoss = total.div(accum);
        NDArray norm;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            norm = Gradients.clipGlobalNorm(trainable.values(), maxGradNorm);
            NDScope.unregister(norm);
            optimizer.step(lr);
            Gradients.zero(trainable.values());
        }
        meanLoss.attach(out);
        norm.attach(out);
        total.close();
        accum.close();
        model.encoder().train(false);
        return new Result(meanLoss, norm);
    }

    /** Embed all rows with a graph, loss, backward: the plain way. */
    private NDArray backward(StepBatch mb, NDArray accum, NDManager step) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray emb = model.forward(model.tokenizer().encode(mb.texts()), step);
            NDArray l = loss.compute(emb, mb.layout());
            gc.backward(l.div(accum));
            return l;
        }
    }

    /**
     * GradCache (as sentence-transformers' CachedMultipleNegativesRankingLoss): 1. embed the rows
     * in chunks without a graph; 2. loss on those detached embeddings, backward to them only,
     * giving dL/dE; 3. re-embed each chunk with a graph and backpropagate its slice of dL/dE.
     * Same gradients as one pass; activations of one chunk at a time. Dropout draws repeat
     * between passes 1 and 3 because each chunk reseeds the engine the same way.
     */
    private NDArray cachedBackward(StepBatch mb, NDArray accum, NDManager step) {
        List<String> texts = mb.texts();
        int n = texts.size(), chunk = miniBatchSize;
        int seed = (int) (optimizer.steps() * 7919);
        NDList parts = new NDList();
        for (int start = 0; start < n; start += chunk) {
            Engine.getInstance().setRandomSeed(seed + start);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray e = model.forward(model.tokenizer().encode(texts.subList(start, Math.min(n, start + chunk))), step);
                NDScope.unregister(e);
                parts.add(e);
            }
        }
        NDArray cached = ai.djl.ndarray.NDArrays.concat(parts);
        cached.setRequiresGradient(true);
        NDArray l;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            l = loss.compute(cached, mb.layout());
            gc.backward(l.div(accum));
        }
        NDArray grad = cached.getGradient();
        for (int start = 0; start < n; start += chunk) {
            int end = Math.min(n, start + chunk);
            Engine.getInstance().setRandomSeed(seed + start);
            try (NDScope scope = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                scope.suppressNotUsedWarning();
                NDArray e = model.forward(model.tokenizer().encode(texts.subList(start, end)), step);
                gc.backward(e.mul(grad.get(new ai.djl.ndarray.index.NDIndex("{}:{}", start, end))).sum());
            }
        }
        parts.close();
        return l;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    @Override
    public void close() {
        manager.close();
    }
}
