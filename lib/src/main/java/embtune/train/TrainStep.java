package embtune.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import embtune.loss.EmbeddingLoss;
import embtune.model.Embedder;
import embtune.engine.Seeds;
import embtune.engine.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step, the part of the loop worth reading slowly:
 * <pre>
 * for each micro-batch:  embed rows -> loss * scale / accum -> backward   (gradients add up)
 * norm = clip_global_norm(grads / scale, max_grad_norm)
 * ok = isfinite(norm)            (fp16 only: the loss scaler skips overflowed steps)
 * adamw.step(lr, ok)             (and drops the grads: torch's zero_grad, set to None)
 * </pre>
 * Embedding runs one of three ways: one pass with a graph (default); GradCache chunks
 * ({@code mini_batch_size}); or layer checkpointing ({@code gradient_checkpointing}), alone or
 * inside GradCache's chunks. Returns the mean loss and the pre-clip gradient norm as device
 * scalars: nothing here waits for the device; the caller reads them when it logs.
 */
public final class TrainStep implements AutoCloseable {
    /** How a step runs; the defaults are the plain fp32 step. */
    public record Settings(long seed, double maxGradNorm, Integer miniBatchSize, boolean gradientCheckpointing, Precision precision,
                           double initialLossScale) {
        public static Settings of(double maxGradNorm) {
            return new Settings(0, maxGradNorm, null, false, Precision.FP32, 65536.0);
        }

        /** The run's seed: dropout draws of a recomputed chunk or layer repeat those of its first pass. */
        public Settings seed(long s) { return new Settings(s, maxGradNorm, miniBatchSize, gradientCheckpointing, precision, initialLossScale); }
        public Settings miniBatchSize(Integer n) { return new Settings(seed, maxGradNorm, n, gradientCheckpointing, precision, initialLossScale); }
        public Settings gradientCheckpointing(boolean on) { return new Settings(seed, maxGradNorm, miniBatchSize, on, precision, initialLossScale); }
        public Settings precision(Precision p) { return new Settings(seed, maxGradNorm, miniBatchSize, gradientCheckpointing, p, initialLossScale); }
        /** fp16: the loss scale to start from (torch's GradScaler init_scale, 2^16). */
        public Settings initialLossScale(double s) { return new Settings(seed, maxGradNorm, miniBatchSize, gradientCheckpointing, precision, s); }
    }

    private final Embedder model;
    private final EmbeddingLoss loss;
    private final Map<String, Parameter> trainable;
    private final AdamW optimizer;
    private final Settings settings;
    private final NDManager manager;
    private final LossScaler scaler; // fp16 only
    private final LayerCheckpointing checkpointing;
    private final Precision previousPrecision;

    public record Result(NDArray loss, NDArray gradNorm) {}

    public TrainStep(Embedder model, EmbeddingLoss loss, Map<String, Parameter> trainable, AdamW optimizer, double maxGradNorm) {
        this(model, loss, trainable, optimizer, Settings.of(maxGradNorm));
    }

    public TrainStep(Embedder model, EmbeddingLoss loss, Map<String, Parameter> trainable, AdamW optimizer, Settings settings) {
        this.model = model;
        this.loss = loss;
        this.trainable = trainable;
        this.optimizer = optimizer;
        this.settings = settings;
        this.manager = model.manager().newSubManager();
        this.scaler = settings.precision() == Precision.FP16 ? new LossScaler(manager, settings.initialLossScale(), 2.0, 0.5, 2000) : null;
        this.checkpointing = settings.gradientCheckpointing() ? new LayerCheckpointing(model) : null;
        this.previousPrecision = model.precision();
        model.precision(settings.precision());
        trainable.values().forEach(p -> p.getArray().setRequiresGradient(true));
    }

    /** Runs the step; the returned scalars belong to {@code out} (the caller closes it). */
    public Result run(List<StepBatch> microBatches, double lr, NDManager out) {
        model.encoder().train(true);
        NDArray total = null;
        NDArray weight = manager.create(1f / microBatches.size()); // each micro-batch's share; closed with the step
        NDArray backwardWeight = scaler == null ? weight : weight.mul(scaler.scale());
        for (int micro = 0; micro < microBatches.size(); micro++) {
            StepBatch mb = microBatches.get(micro);
            try (NDScope scope = new NDScope(); NDManager step = manager.newSubManager()) {
                scope.suppressNotUsedWarning();
                boolean chunked = settings.miniBatchSize() != null || checkpointing != null;
                NDArray l = chunked ? chunkedBackward(mb, micro, backwardWeight, step) : backward(mb, micro, backwardWeight, step);
                NDArray previous = total;
                total = previous == null ? l.stopGradient() : previous.add(l.stopGradient());
                NDScope.unregister(total);
                total.attach(manager); // outlives this micro-batch's manager
                if (previous != null) previous.close();
            }
        }
        NDArray meanLoss = total.mul(weight);
        NDArray norm;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            norm = Gradients.clipGlobalNorm(trainable.values(), settings.maxGradNorm(), scaler == null ? null : scaler.scale());
            NDScope.unregister(norm);
            NDArray ok = scaler == null ? null : scaler.update(norm);
            optimizer.step(lr, ok); // consumes the gradients
        }
        meanLoss.attach(out);
        norm.attach(out);
        total.close();
        if (backwardWeight != weight) backwardWeight.close();
        weight.close();
        model.encoder().train(false);
        return new Result(meanLoss, norm);
    }

    /**
     * The dropout seed of the pass over rows {@code start..} of micro-batch {@code micro} in this step: a plain pass
     * is the GradCache chunk at 0, so it draws what one chunk of every row and what checkpointing draw.
     */
    private long dropoutSeed(int micro, int start) {
        return Seeds.of(settings.seed(), Seeds.Stream.DROPOUT, optimizer.steps(), micro, start);
    }

    /** Embed all rows with a graph, loss, backward: the plain way. */
    private NDArray backward(StepBatch mb, int micro, NDArray backwardWeight, NDManager step) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray emb = model.forward(model.encode(mb.texts()), step, dropoutSeed(micro, 0));
            NDArray l = loss.compute(emb, mb.layout());
            gc.backward(l.mul(backwardWeight));
            return l;
        }
    }

    /**
     * GradCache (as sentence-transformers' CachedMultipleNegativesRankingLoss) and layer
     * checkpointing share one shape: 1. embed the rows in chunks without a graph; 2. loss on
     * those detached embeddings, backward to them only, giving dL/dE; 3. per chunk, backpropagate
     * its slice of dL/dE — by re-embedding it with a graph, or layer by layer from the inputs
     * step 1 kept. Same gradients as one pass. Dropout draws repeat between passes because each
     * chunk's embeddings and layers reseed the engine the same way; a chunk of every row draws a plain pass's masks,
     * smaller chunks their own.
     */
    private NDArray chunkedBackward(StepBatch mb, int micro, NDArray backwardWeight, NDManager step) {
        List<String> texts = mb.texts();
        int n = texts.size(), chunk = settings.miniBatchSize() != null ? settings.miniBatchSize() : n;
        NDList parts = new NDList();
        List<LayerCheckpointing.Forward> kept = new ArrayList<>();
        List<embtune.model.TextTokenizer.Batch> encoded = new ArrayList<>(); // tokenized (and images read) once, for both passes
        for (int start = 0; start < n; start += chunk) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                var batch = model.encode(texts.subList(start, Math.min(n, start + chunk)));
                encoded.add(batch);
                NDArray e;
                if (checkpointing != null) {
                    LayerCheckpointing.Forward f = checkpointing.forward(batch.toNDList(step), dropoutSeed(micro, start)).outliveScope();
                    kept.add(f);
                    e = f.embeddings();
                } else {
                    e = model.forward(batch, step, dropoutSeed(micro, start));
                }
                NDScope.unregister(e);
                parts.add(e);
            }
        }
        NDArray cached = NDArrays.concat(parts);
        cached.setRequiresGradient(true);
        NDArray l;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            l = loss.compute(cached, mb.layout());
            gc.backward(l.mul(backwardWeight));
        }
        NDArray grad = cached.getGradient();
        for (int start = 0, c = 0; start < n; start += chunk, c++) {
            int end = Math.min(n, start + chunk);
            NDArray slice = grad.get(new NDIndex("{}:{}", start, end));
            if (checkpointing != null) {
                checkpointing.backward(kept.get(c), slice, dropoutSeed(micro, start));
                continue;
            }
            try (NDScope scope = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                scope.suppressNotUsedWarning();
                NDArray e = model.forward(encoded.get(c), step, dropoutSeed(micro, start));
                embtune.engine.Torch.backward(e, slice);
            }
        }
        parts.close();
        return l;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** The fp16 loss scaler, or null. */
    public LossScaler scaler() {
        return scaler;
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public void close() {
        if (scaler != null) scaler.close();
        manager.close();
        model.precision(previousPrecision); // the trained model embeds as it did before training
    }
}
