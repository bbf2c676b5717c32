package embtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
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
    private final NDManager manager;

    public record Result(NDArray loss, NDArray gradNorm) {}

    public TrainStep(Embedder model, EmbeddingLoss loss, Map<String, Parameter> trainable, AdamW optimizer, double maxGradNorm) {
        this.model = model;
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
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray emb = model.forward(model.tokenizer().encode(mb.texts()), step);
                    NDArray l = loss.compute(emb, mb.layout());
                    gc.backward(l.div(accum));
                    NDArray previous = total;
                    total = previous == null ? l.stopGradient() : previous.add(l.stopGradient());
                    NDScope.unregister(total);
                    total.attach(manager); // outlives this micro-batch's manager
                    if (previous != null) previous.close();
                }
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

    public AdamW optimizer() {
        return optimizer;
    }

    @Override
    public void close() {
        manager.close();
    }
}
