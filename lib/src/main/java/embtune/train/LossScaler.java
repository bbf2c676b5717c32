package embtune.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dynamic loss scaling for float16 (torch.amp.GradScaler's rule), kept entirely on the device so
 * the step never waits for it:
 * <pre>
 * backward(loss * scale)                       # small fp16 gradients stay representable
 * found_inf = !isfinite(global grad norm)      # one overflowing gradient poisons the norm
 * found_inf: skip the update, scale *= 0.5, tracker = 0, skipped += 1
 * else:      tracker += 1; tracker == 2000: scale *= 2, tracker = 0
 * </pre>
 * The optimizer receives {@code ok} as a device boolean and turns a skipped step into a no-op
 * (see {@link AdamW#step(double, NDArray)}); {@link #skipped()} is read when the trainer logs.
 */
public final class LossScaler implements AutoCloseable {
    private final NDManager manager;
    private final NDArray scale, tracker, skipped;
    private final NDArray one, backoffMinusOne, growthMinusOne, interval;

    public LossScaler(NDManager parent, double initScale, double growth, double backoff, int growthInterval) {
        manager = parent.newSubManager();
        scale = keep(manager.create((float) initScale));
        tracker = keep(manager.create(0f));
        skipped = keep(manager.create(0f));
        one = keep(manager.create(1f));
        backoffMinusOne = keep(manager.create((float) (backoff - 1)));
        growthMinusOne = keep(manager.create((float) (growth - 1)));
        interval = keep(manager.create((float) growthInterval));
    }

    /** torch's defaults: 2^16, x2 after 2000 clean steps, x0.5 on overflow. */
    public static LossScaler dynamic(NDManager parent) {
        return new LossScaler(parent, 65536.0, 2.0, 0.5, 2000);
    }

    private static NDArray keep(NDArray a) {
        NDScope.unregister(a);
        return a;
    }

    /** The current scale, a device scalar to multiply the loss by. */
    public NDArray scale() {
        return scale;
    }

    /**
     * Given the global norm of the scaled gradients, updates the scale and returns ok (a device
     * boolean: the gradients are finite and the step may apply).
     */
    public NDArray update(NDArray scaledNorm) {
        NDArray found = scaledNorm.isInfinite().logicalOr(scaledNorm.isNaN());
        NDArray f = found.toType(DataType.FLOAT32, false);
        tracker.addi(one).muli(one.sub(f));                     // +1, or back to 0 on overflow
        NDArray grow = tracker.gte(interval).toType(DataType.FLOAT32, false);
        scale.muli(f.mul(backoffMinusOne).add(one));            // x backoff on overflow
        scale.muli(grow.mul(growthMinusOne).add(one));          // x growth after the interval
        tracker.muli(one.sub(grow));
        skipped.addi(f);
        return found.logicalNot();
    }

    /** Steps skipped so far (reading it waits for the device: call when logging). */
    public long skipped() {
        return (long) skipped.getFloat();
    }

    public float currentScale() {
        return scale.getFloat();
    }

    /** For checkpoints: {@code scaler.scale}, {@code scaler.growth_tracker}, {@code scaler.skipped}. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        s.put("scaler.scale", scale);
        s.put("scaler.growth_tracker", tracker);
        s.put("scaler.skipped", skipped);
        return s;
    }

    public void load(Map<String, NDArray> state) {
        NDArray s = state.get("scaler.scale");
        if (s == null) return; // a checkpoint written without fp16: keep the initial scale
        scale.muli(0).addi(s.toDevice(scale.getDevice(), false));
        tracker.muli(0).addi(state.get("scaler.growth_tracker").toDevice(scale.getDevice(), false));
        skipped.muli(0).addi(state.get("scaler.skipped").toDevice(scale.getDevice(), false));
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LossScaler(dynamic, init 2^16, x2 every 2000 clean steps, x0.5 on overflow)";
    }
}
