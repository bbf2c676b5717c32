package embtune.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs part of a forward pass in its own NDScope, so the Java handles of its intermediates close
 * when it returns, not when the whole layer does. libtorch frees a tensor when its last reference
 * goes: what autograd saved for the backward pass stays, the rest (rotated copies, scores before
 * softmax, activations before a product) is freed at once, as Python frees a temporary when its
 * last name goes, instead of keeping every temporary of a layer alive until the layer's end.
 */
public final class Scopes {
    private Scopes() {}

    public static NDArray keep(Supplier<NDArray> part) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = part.get();
            NDScope.unregister(out);
        }
        // DJL's unregister takes it out of the innermost scope only, leaving it in none: without this
        // it would live until its manager closes (the end of the step), not until the enclosing
        // scope does. Four such [B, T, hidden]-sized outputs per Qwen layer outlived their use.
        NDScope.register(out);
        return out;
    }
}
