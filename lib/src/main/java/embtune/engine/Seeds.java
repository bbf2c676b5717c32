package embtune.engine;

import ai.djl.engine.Engine;
import java.util.Random;

/**
 * Every random draw of a run comes from a named stream, seeded from the run's seed and where the
 * draw happens (step, chunk, layer). A resumed or recomputed step (GradCache, gradient
 * checkpointing) therefore draws the same numbers, and the formula lives here only.
 */
public final class Seeds {
    /** What the numbers are for. */
    public enum Stream {
        /** random weights of a model built without a checkpoint */
        INIT,
        /** LoRA's A matrices */
        LORA_INIT,
        /** Java-side draws of a step: hard-negative sampling and the like */
        SAMPLING,
        /** libtorch's generator during a forward pass: dropout */
        DROPOUT,
        /** Java-side draws while computing the validation loss, per evaluation */
        EVAL_SAMPLING
    }

    private Seeds() {}

    /** A seed for one stream at one point: SplitMix64 over (seed, stream, coordinates). */
    public static long of(long seed, Stream stream, long... at) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L * (stream.ordinal() + 1));
        for (long a : at) h = mix(h ^ a);
        return h;
    }

    /** Seeds libtorch's generator, which dropout and the engine's random tensors draw from. */
    public static void engine(long seed, Stream stream, long... at) {
        Engine.getInstance().setRandomSeed((int) of(seed, stream, at));
    }

    /** A Java generator for one stream at one point. */
    public static Random random(long seed, Stream stream, long... at) {
        return new Random(of(seed, stream, at));
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
