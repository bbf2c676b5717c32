package embtune.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs part of a forward pass in its own NDScope, so the Java handles of its intermediates close
 * when it returns, not when the whole layer does. libtorch frees a tensor when its last reference
 * goes: what autograd saved for the backward pass stays, the rest (rotated copies, scores before
 * softmax, activations before a product) is freed at once, as Python frees a temporary when its
 * last name goes. A Qwen3-0.6B-wide layer over 64 x 128 tokens kept about 2.3 GB of such
 * temporaries alive until its end.
 */
final class Scopes {
    private Scopes() {}

    static NDArray keep(Supplier<NDArray> part) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray out = part.get();
            NDScope.unregister(out);
            return out;
        }
    }
}
