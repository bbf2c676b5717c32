package embtune.cli;

import embtune.hub.DefaultModel;
import embtune.hub.ModelResolver;
import embtune.lora.Adapter;
import embtune.model.Embedder;
import embtune.ModelError;
import java.nio.file.Path;

/**
 * Turns --model / --adapters / --resume_from_checkpoint into a loaded model: a model folder or hub
 * id (org/name[@revision], cached or downloaded), or a base model plus a PEFT adapter folder (whose
 * config names its base), or the bundled default.
 */
public final class ModelArgs {
    private ModelArgs() {}

    /** The folders a model comes from: a model, and the PEFT adapter to put on it (or null). */
    public record Folders(Path model, Path adapter) {}

    /**
     * @param model    --model, or null
     * @param adapters an adapter folder, or a full-model checkpoint to start from, or null
     * @param hub      where hub ids resolve (null: USE_HF's choice)
     */
    /**
     * Readies a loaded model for embed, eval and serve: --precision (auto is fp32, tf32 on a GPU, not the model's
     * torch_dtype as in training; bf16 on a CPU without bfloat16 instructions runs fp32 and says so on stderr), then
     * {@link Embedder#inferenceOnly()}.
     */
    static void forInference(Cli.Args a, Embedder m) {
        m.precision(precision(a, m));
        m.inferenceOnly(); // the weights are final now: small passes take the packed products
    }

    static final String INFER_BACKEND_HELP = "pt (libtorch runs the passes), onnxruntime (ONNX Runtime runs them, on the model written "
            + "as ONNX at start: BERT models in fp32 on the CPU, one text in half the time) or auto (onnxruntime where it runs the model, else pt)";

    /**
     * --infer_backend: which engine runs inference passes ({@link #INFER_BACKEND_HELP}); after {@link #forInference}, so
     * the precision is known. {@code threads}: each ONNX Runtime pass's. Says on stderr what it chose.
     */
    static void inferBackend(Cli.Args a, Embedder m, String command, int threads) {
        String asked = inferBackend(a);
        if (asked.equals("pt")) return;
        String why = embtune.onnx.OnnxRuntimePasses.refusal(m);
        if (why != null) {
            if (asked.equals("onnxruntime")) throw new Cli.UsageError("--infer_backend onnxruntime: " + why);
            System.err.println("embtune " + command + ": libtorch runs every pass (--infer_backend auto; not ONNX Runtime: " + why + ")");
            return;
        }
        try {
            embtune.onnx.OnnxRuntimePasses.attach(m, threads);
        } catch (embtune.ModelError e) { // ONNX Runtime refused the graph: auto carries on with libtorch
            if (asked.equals("onnxruntime")) throw new Cli.UsageError("--infer_backend onnxruntime: " + e.getMessage());
            System.err.println("embtune " + command + ": libtorch runs every pass (--infer_backend auto; " + e.getMessage() + ")");
            return;
        }
        System.err.println("embtune " + command + ": " + m.passes() + " (--infer_backend " + asked + ")");
    }

    /** --infer_backend, checked (before a model loads): auto, pt or onnxruntime. */
    static String inferBackend(Cli.Args a) {
        String asked = a.get("infer_backend").toLowerCase(java.util.Locale.ROOT);
        if (!java.util.List.of("auto", "pt", "onnxruntime").contains(asked))
            throw new Cli.UsageError("--infer_backend " + a.get("infer_backend") + ": choose auto, pt or onnxruntime");
        return asked;
    }

    private static embtune.engine.Precision precision(Cli.Args a, Embedder m) {
        String asked = a.get("precision");
        if (asked == null || asked.equalsIgnoreCase("auto")) return embtune.engine.Precision.parse("auto", m.device());
        embtune.engine.Precision.Choice c;
        try {
            c = embtune.engine.Precision.choose(asked, m.device(), null);
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError("--precision: " + e.getMessage());
        }
        if (!c.reason().equals("asked")) System.err.println("embtune: --precision " + asked + " -> " + c);
        return c.precision();
    }

    public static Embedder load(String model, String adapters, Embedder.Options opts, embtune.hub.Hub hub) {
        Folders f = folders(model, adapters, hub);
        Embedder m = Embedder.load(f.model(), opts);
        if (f.adapter() != null) {
            try {
                Adapter.load(m, f.adapter());
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        return m;
    }

    /**
     * Where {@link #load} reads from, without loading: hub ids downloaded (or found in the cache),
     * an adapter's base taken from its config when --model is not given. For jobs that load the
     * model elsewhere (Spark executors).
     */
    public static Folders folders(String model, String adapters, embtune.hub.Hub hub) {
        if (adapters != null && !Adapter.isAdapter(Path.of(adapters))) {
            if (model != null && !Path.of(model).equals(Path.of(adapters)))
                System.err.println("note: " + adapters + " is a full model checkpoint; it is loaded instead of " + model);
            return new Folders(Path.of(adapters), null);
        }
        Path base = model != null ? ModelResolver.resolve(model, hub) : adapters != null ? baseOf(Path.of(adapters)) : DefaultModel.path();
        return new Folders(base, adapters == null ? null : Path.of(adapters));
    }

    static Path baseOf(Path adapter) {
        String base = Adapter.baseModel(adapter);
        if (base == null || !java.nio.file.Files.isDirectory(Path.of(base)))
            throw new ModelError(adapter + ": its base model " + (base == null ? "is not recorded" : base + " is not a folder here")
                    + "; pass --model BASE_DIR");
        return Path.of(base);
    }
}
