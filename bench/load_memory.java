///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx2g
//DESCRIPTION Peak memory while loading a Qwen3-0.6B-sized checkpoint (bf16 shards widened to fp32)

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import embtune.model.ModelConfig;
import embtune.model.Presets;
import embtune.model.Encoder;
import embtune.nn.RandomInit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes random Qwen3-Embedding-0.6B weights as one bf16 safetensors file (once, in a temp
 * folder), then loads them in a fresh JVM and prints peak resident memory (VmHWM) next to the
 * float32 size of the weights. Target: peak under 2x the loaded weights.
 */
public class load_memory {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir"), "embtune-load-bench");
        if (args.length > 0 && args[0].equals("load")) {
            load(dir);
            return;
        }
        if (!Files.exists(dir.resolve("model.safetensors"))) write(dir);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), "load_memory", "load", dir.getParent().toString()).inheritIO().start();
        System.exit(p.waitFor());
    }

    static void load(Path dir) throws Exception {
        long before = status("VmRSS");
        try (var m = embtune.model.Embedder.class.getDeclaredConstructors().length > 0 ? NDManager.newBaseManager() : null) {
            ModelConfig c = embtune.model.ModelConfig.read(dir);
            Encoder enc = Encoder.create(c);
            var weights = embtune.weights.Weights.open(dir);
            long bytes = 0;
            for (var e : enc.namedParameters().entrySet()) {
                NDArray a = weights.load(e.getKey(), m);
                e.getValue().setArray(a);
                bytes += a.size() * 4;
            }
            long peak = status("VmHWM");
            System.out.printf("{\"bench\":\"load_memory\",\"model\":\"Qwen3-0.6B (bf16 file)\",\"weights_fp32_mb\":%d,"
                    + "\"rss_before_mb\":%d,\"peak_rss_mb\":%d,\"peak_over_weights\":%.2f}%n",
                    bytes >> 20, before >> 10, peak >> 10, (double) (peak - before) * 1024 / bytes);
        }
    }

    /** Random weights of the preset, written as bf16 (the top half of each float32). */
    static void write(Path dir) throws Exception {
        Files.createDirectories(dir);
        ModelConfig c = Presets.qwen3Embedding06B();
        Files.writeString(dir.resolve("config.json"), c.raw().toString());
        try (NDManager m = NDManager.newBaseManager()) {
            Encoder enc = Encoder.create(c);
            RandomInit.apply(enc, m, 0);
            var json = new StringBuilder("{");
            long off = 0;
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            for (var e : enc.namedParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                arrays.put(e.getKey(), a);
                long n = a.size() * 2;
                json.append(json.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                        .append(java.util.Arrays.toString(a.getShape().getShape()).replace(" ", "")).append(",\"data_offsets\":[")
                        .append(off).append(',').append(off + n).append("]}");
                off += n;
            }
            byte[] h = json.append('}').toString().getBytes();
            try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length));
                ch.write(ByteBuffer.wrap(h));
                for (NDArray a : arrays.values()) {
                    float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
                    ByteBuffer b = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                    for (float x : f) b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
                    b.flip();
                    ch.write(b);
                }
            }
        }
    }

    static long status(String key) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status")))
            if (l.startsWith(key + ":")) return Long.parseLong(l.replaceAll("\\D", ""));
        return 0;
    }
}
