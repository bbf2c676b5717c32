package embtune.train;

import embtune.data.Dataset;
import embtune.data.Record;
import java.util.ArrayList;
import java.util.List;

/**
 * Which records each optimizer step sees: every epoch is a fresh seeded shuffle, cut into
 * micro-batches of {@code batchSize}; a step takes {@code accumulation} consecutive
 * micro-batches (the last step of an epoch may take fewer). A pure function of the step number,
 * so resuming needs no sampler state.
 */
final class Batches {
    private final Dataset data;
    private final int batchSize, accumulation, microPerEpoch;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] order;

    Batches(Dataset data, int batchSize, int accumulation, boolean dropLast, long seed) {
        this.data = data;
        this.batchSize = batchSize;
        this.accumulation = accumulation;
        this.seed = seed;
        int n = data.size();
        this.microPerEpoch = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        if (microPerEpoch == 0)
            throw new IllegalArgumentException(data.name() + ": " + n + " rows give no batch of " + batchSize
                    + (dropLast ? " with dataloader_drop_last" : ""));
    }

    int stepsPerEpoch() {
        return (microPerEpoch + accumulation - 1) / accumulation;
    }

    /**
     * Optimizer steps for a number of epochs, as Hugging Face's Trainer counts them:
     * ceil(epochs x (micro-batches // accumulation)). With a remainder of micro-batches the last
     * epoch therefore ends a step or more early, as it does in ms-swift (520 steps, not 525, for
     * the tutorial's 5 epochs of 209 micro-batches accumulated 2 at a time).
     */
    int stepsFor(double epochs) {
        return (int) Math.ceil(epochs * Math.max(1, microPerEpoch / accumulation));
    }

    double epochAt(int stepsDone) {
        return (double) stepsDone / stepsPerEpoch();
    }

    /** The micro-batches of one optimizer step; their random draws (negative sampling) come from {@code sampling}, in order. */
    List<StepBatch> forStep(int step, boolean pairs, java.util.Random sampling) {
        int epoch = step / stepsPerEpoch(), index = step % stepsPerEpoch();
        if (epoch != cachedEpoch) {
            order = data.shuffledOrder(seed + epoch);
            cachedEpoch = epoch;
        }
        List<StepBatch> out = new ArrayList<>();
        for (int m = index * accumulation; m < Math.min(microPerEpoch, (index + 1) * accumulation); m++) {
            List<Record> records = new ArrayList<>();
            for (int i = m * batchSize; i < Math.min(data.size(), (m + 1) * batchSize); i++) records.add(data.get(order[i]));
            out.add(StepBatch.of(records, pairs).sampling(sampling));
        }
        return out;
    }
}
