///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx8g
//DESCRIPTION Embedding throughput (sentences/s) of MiniLM-L6-sized and Qwen3-0.6B-sized encoders, random weights

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import embtune.engine.Devices;
import embtune.model.ModelConfig;
import embtune.model.Pooling;
import embtune.model.Presets;
import embtune.model.Encoder;
import embtune.nn.RandomInit;

/**
 * Prints one JSON line per model: sentences/s and tokens/s for batches of random token ids.
 * Usage: embed_throughput [--device cpu|gpu] [--batch 32] [--tokens 32] [--batches 5]
 */
public class embed_throughput {
    public static void main(String[] args) {
        String device = arg(args, "--device", "auto");
        int batch = Integer.parseInt(arg(args, "--batch", "32"));
        int tokens = Integer.parseInt(arg(args, "--tokens", "32"));
        int batches = Integer.parseInt(arg(args, "--batches", "5"));
        run("MiniLM-L6", Presets.miniLmL6(), Pooling.Mode.MEAN, device, batch, tokens, batches);
        run("Qwen3-0.6B", Presets.qwen3Embedding06B(), Pooling.Mode.LAST_TOKEN, device, Math.max(1, batch / 4), tokens, Math.max(1, batches / 2));
    }

    static void run(String name, ModelConfig config, Pooling.Mode mode, String device, int batch, int tokens, int batches) {
        try (NDManager m = NDManager.newBaseManager(Devices.pick(device))) {
            Encoder enc = Encoder.create(config);
            RandomInit.apply(enc, m, 0);
            Pooling pooling = new Pooling(mode, true);
            long t0 = 0;
            for (int i = -1; i < batches; i++) { // first batch warms up
                if (i == 0) t0 = System.nanoTime();
                try (NDScope scope = new NDScope(); NDManager step = m.newSubManager()) {
                    scope.suppressNotUsedWarning();
                    var ids = step.randomInteger(1000, config.vocabSize(), new Shape(batch, tokens), DataType.INT64);
                    var mask = step.ones(new Shape(batch, tokens), DataType.INT64);
                    pooling.apply(enc.forward(ids, mask), mask).toFloatArray(); // read back: includes the sync
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("{\"bench\":\"embed\",\"model\":\"%s\",\"device\":\"%s\",\"batch\":%d,\"tokens\":%d,"
                    + "\"sentences_per_s\":%.1f,\"tokens_per_s\":%.0f}%n", name, m.getDevice(), batch, tokens,
                    batch * batches / secs, (double) batch * tokens * batches / secs);
        }
    }

    static String arg(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return args[i + 1];
        return def;
    }
}
