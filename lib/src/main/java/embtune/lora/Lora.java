package embtune.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import embtune.model.Embedder;
import embtune.nn.Linear;
import embtune.nn.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts LoRA adapters on a model's linear layers, as PEFT does: A [r, in] kaiming-uniform
 * (a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in))), B [out, r] zero, base weights frozen.
 * Target names match a module's last name ({@code q_proj}) or {@code all-linear}.
 */
public final class Lora {
    private Lora() {}

    /** Attaches fresh adapters (A random, B zero); returns the adapted modules by dotted name. */
    public static Map<String, Linear> apply(Embedder model, LoraConfig config, long seed) {
        Map<String, Linear> targets = attach(model, config);
        embtune.engine.Seeds.engine(seed, embtune.engine.Seeds.Stream.LORA_INIT);
        for (Linear lin : targets.values()) {
            float bound = (float) (1 / Math.sqrt(lin.in));
            set(lin.loraA(), model.manager().randomUniform(-bound, bound, new Shape(config.r(), lin.in)));
            set(lin.loraB(), model.manager().zeros(new Shape(lin.out, config.r())));
        }
        return targets;
    }

    /** Attaches adapters whose weights the caller sets (loading a saved adapter). */
    static Map<String, Linear> attach(Embedder model, LoraConfig config) {
        model.passes(null); // passes run elsewhere (ONNX Runtime) hold the weights without the adapter
        Map<String, Linear> targets = targets(model.encoder(), config.targetModules());
        for (Linear lin : targets.values()) lin.attachLora(config.r(), config.scaling(), config.dropout(), model.manager());
        return targets;
    }

    static void set(Linear l, NDArray a) {
        NDScope.unregister(a);
        l.namedParameters().get("weight").setArray(a);
    }

    /** The linear modules a target list selects, by dotted name; an unmatched target is an error. */
    public static Map<String, Linear> targets(Module encoder, List<String> names) {
        Map<String, Linear> out = new LinkedHashMap<>();
        List<String> unmatched = new ArrayList<>(names);
        encoder.namedModules().forEach((path, m) -> {
            if (!(m instanceof Linear lin) || path.contains(".lora_")) return;
            String last = path.substring(path.lastIndexOf('.') + 1);
            for (String t : names)
                if (t.equals("all-linear") || t.equals(last) || path.equals(t) || path.endsWith("." + t)) {
                    out.put(path, lin);
                    unmatched.remove(t);
                }
        });
        if (!unmatched.isEmpty())
            throw new IllegalArgumentException("target_modules " + unmatched + " match no linear layer; linear layers are named like "
                    + out.keySet().stream().limit(3).toList() + " (or use all-linear)");
        if (out.isEmpty()) throw new IllegalArgumentException("target_modules " + names + " select no linear layer");
        return out;
    }

    /** The adapter parameters (the only trainable ones in LoRA training), by checkpoint name. */
    public static Map<String, Parameter> parameters(Module encoder) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        encoder.namedParameters().forEach((n, p) -> {
            if (isLora(n)) out.put(n, p);
        });
        return out;
    }

    public static boolean isLora(String parameterName) {
        return parameterName.contains(".lora_A.") || parameterName.contains(".lora_B.");
    }

    /** Folds every adapter into its base weight: W <- W + scaling B A. */
    public static int merge(Module encoder) {
        int n = 0;
        for (Module m : encoder.namedModules().values())
            if (m instanceof Linear lin && lin.hasLora()) {
                lin.mergeLora();
                n++;
            }
        return n;
    }

    /** "trainable params: 5,046,272 || all params: ... || trainable%: 0.84", as PEFT prints it. */
    public static String trainableSummary(Module encoder) {
        long trainable = 0, all = 0;
        for (var e : encoder.parameterShapes().entrySet()) {
            all += e.getValue().size();
            if (isLora(e.getKey())) trainable += e.getValue().size();
        }
        return String.format("trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, all, 100.0 * trainable / all);
    }
}
