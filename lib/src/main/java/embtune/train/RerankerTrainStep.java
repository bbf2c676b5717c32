package embtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import embtune.loss.RerankerLoss;
import embtune.rerank.RerankInputs;
import embtune.rerank.Reranker;
import java.util.Map;

/**
 * One optimizer step of a reranker, as ms-swift's trainer takes it:
 * <pre>
 * logits = model(pairs)                  one per (query, document) row, groups [positive, negatives...]
 * loss   = pointwise or listwise(logits, labels) -> backward
 * norm   = clip_global_norm(grads, max_grad_norm)
 * adamw.step(lr)                          (and drops the grads)
 * </pre>
 * Returns the loss and the pre-clip gradient norm as device scalars owned by {@code out}.
 */
public final class RerankerTrainStep {
    private final Reranker model;
    private final RerankerLoss loss;
    private final Map<String, Parameter> trainable;
    private final AdamW optimizer;
    private final double maxGradNorm;

    public RerankerTrainStep(Reranker model, RerankerLoss loss, Map<String, Parameter> trainable, AdamW optimizer, double maxGradNorm) {
        this.model = model;
        this.loss = loss;
        this.trainable = trainable;
        this.optimizer = optimizer;
        this.maxGradNorm = maxGradNorm;
        trainable.values().forEach(p -> p.getArray().setRequiresGradient(true));
    }

    public TrainStep.Result run(RerankInputs.Batch batch, float[] labels, double lr, NDManager out) {
        model.encoder().train(true);
        model.head().train(true);
        try (NDScope scope = new NDScope(); NDManager step = model.manager().newSubManager()) {
            scope.suppressNotUsedWarning();
            NDArray l;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                l = loss.compute(model.forward(batch, step), labels);
                gc.backward(l);
            }
            NDArray norm = Gradients.clipGlobalNorm(trainable.values(), maxGradNorm, null);
            optimizer.step(lr, null);
            NDArray kept = l.stopGradient();
            for (NDArray a : new NDArray[] {kept, norm}) {
                NDScope.unregister(a);
                a.attach(out);
            }
            return new TrainStep.Result(kept, norm);
        } finally {
            model.encoder().train(false);
            model.head().train(false);
        }
    }
}
