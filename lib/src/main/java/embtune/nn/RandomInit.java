package embtune.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * Fresh weights for a module, as transformers initialises them: normal(0, 0.02) for matrices
 * and embeddings, ones for norm weights, zeros for biases. For benchmarks and tests that need a
 * model of a real size without its checkpoint.
 */
public final class RandomInit {
    private RandomInit() {}

    public static void apply(Module module, NDManager manager, long seed) {
        embtune.engine.Seeds.engine(seed, embtune.engine.Seeds.Stream.INIT);
        Map<String, Shape> shapes = module.parameterShapes();
        module.namedParameters().forEach((name, p) -> {
            Shape s = shapes.get(name);
            NDArray a;
            if (name.endsWith("bias")) a = manager.zeros(s);
            else if (s.dimension() == 1) a = manager.ones(s); // RMSNorm / LayerNorm weights
            else a = manager.randomNormal(0f, 0.02f, s, ai.djl.ndarray.types.DataType.FLOAT32);
            NDScope.unregister(a);
            p.setArray(a);
        });
        module.loaded(manager);
    }
}
