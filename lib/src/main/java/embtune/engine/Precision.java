package embtune.engine;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * How matmuls run. Weights, gradients and AdamW state stay float32 in every mode.
 * <ul>
 * <li>{@code fp32}: exact float32.</li>
 * <li>{@code tf32}: float32 tensors, TensorFloat-32 matmuls on Ampere+ GPUs (8x the fp32 rate
 *     on an H100). libtorch only turns it on from the environment variable
 *     {@value #TF32_ENV}{@code =1}, read once when the first matmul runs; DJL has no switch.</li>
 * <li>{@code fp16}: autocast written out: each Linear/Embedding casts its float32 weight to
 *     float16 inside the graph, activations and attention flow in float16, norms compute in
 *     float32, the pooled embedding and the loss are float32; the loss is scaled dynamically
 *     (see LossScaler) so small float16 gradients do not flush to zero.</li>
 * <li>{@code bf16}: mixed precision as torch's autocast runs it: float32 master weights,
 *     gradients and optimizer state; linear layers and attention products in bfloat16 (their
 *     outputs stay bfloat16 for the elementwise op that follows); norms, softmax, residual sums,
 *     pooling and the loss in float32. DJL has no bfloat16 dtype, so every cast to it runs inside
 *     a TorchScript function (see {@link Cast}); no loss scaling (bfloat16 has float32's range).</li>
 * </ul>
 */
public enum Precision {
    FP32, TF32, FP16, BF16;

    public static final String TF32_ENV = "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE";

    /** auto: tf32 on a GPU, fp32 on the CPU (where the two are the same thing). */
    public static Precision parse(String s, Device device) {
        String k = s == null ? "auto" : s.trim().toLowerCase(Locale.ROOT);
        return switch (k) {
            case "auto", "" -> device != null && device.isGpu() ? TF32 : FP32;
            case "fp32", "float32", "no" -> FP32;
            case "tf32" -> TF32;
            case "fp16", "float16", "half" -> FP16;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("unknown precision '" + s + "'; choose auto, fp32, tf32, fp16 or bf16");
        };
    }

    /** A precision and why it was picked, for the run's first lines. */
    public record Choice(Precision precision, String reason) {
        @Override
        public String toString() {
            return precision.id() + " (" + reason + ")";
        }
    }

    /**
     * What a training run gets. {@code auto} follows ms-swift, which trains in the model's own
     * {@code torch_dtype}: bf16 where the config says bfloat16 and the device computes it (a GPU,
     * or a CPU with bfloat16 instructions), else fp32 (tf32 on a GPU). An explicit bf16 on a CPU
     * without bfloat16 instructions runs fp32 and says so: libtorch would emulate it, slower than fp32.
     */
    public static Choice choose(String requested, Device device, String configDtype) {
        boolean gpu = device != null && device.isGpu();
        String k = requested == null ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        if (k.equals("auto") || k.isEmpty()) {
            String dtype = configDtype == null ? "float32" : configDtype;
            if (dtype.equals("bfloat16") && (gpu || cpuHasBf16()))
                return new Choice(BF16, "auto: the model's torch_dtype is bfloat16 and " + (gpu ? "the GPU" : "this CPU (" + cpuBf16Feature() + ")") + " computes it");
            if (dtype.equals("bfloat16"))
                return new Choice(FP32, "auto: the model's torch_dtype is bfloat16, but this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16)");
            return new Choice(gpu ? TF32 : FP32, "auto: the model's torch_dtype is " + dtype);
        }
        Precision p = parse(k, device);
        if (p == BF16 && !gpu && !cpuHasBf16())
            return new Choice(FP32, "bf16 asked, but this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16): libtorch would emulate it, slower than fp32");
        return new Choice(p, "asked");
    }

    /** Whether this CPU has bfloat16 arithmetic libtorch's oneDNN uses (x86 AVX512_BF16 or AMX, Arm BF16). */
    public static boolean cpuHasBf16() {
        return cpuBf16Feature() != null;
    }

    private static String cpuBf16Feature() {
        return CpuFlags.BF16;
    }

    /** /proc/cpuinfo read once, on first use (not at start-up, and not again for each run or model). */
    private static final class CpuFlags {
        static final String BF16 = read();
    }

    private static String read() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (!line.startsWith("flags") && !line.startsWith("Features")) continue;
                java.util.Set<String> f = new java.util.HashSet<>(java.util.List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
                for (String name : new String[] {"amx_bf16", "avx512_bf16", "bf16"}) if (f.contains(name)) return name;
                return null;
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null; // not Linux: no way to ask here, so no bf16 unless a GPU
        }
        return null;
    }

    /** The dtype activations flow in (bf16: the products' dtype; the rest flows in float32). */
    public DataType computeType() {
        return switch (this) {
            case FP16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            default -> DataType.FLOAT32;
        };
    }

    /** Whether this process runs float32 matmuls as TF32 (decided by the environment at start). */
    public static boolean tf32Enabled() {
        String v = System.getenv(TF32_ENV);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("on"));
    }

    /**
     * What a run in this process actually gets: TF32 needs the environment variable and a GPU;
     * fp32 on a GPU of a process started with the variable set is TF32 too.
     */
    public String effective(Device device) {
        if (this == FP16) return "fp16";
        if (this == BF16) return "bf16";
        if (device == null || !device.isGpu()) return "fp32";
        return tf32Enabled() ? "tf32" : "fp32";
    }

    /** Null when the process environment serves this precision, else what to do about it. */
    public String environmentProblem(Device device) {
        if (device == null || !device.isGpu() || this == FP16 || this == BF16) return null;
        if (this == TF32 && !tf32Enabled())
            return "TF32 needs " + TF32_ENV + "=1 in the environment before the JVM starts; matmuls run in full fp32";
        if (this == FP32 && tf32Enabled())
            return TF32_ENV + " is set, so float32 matmuls run as TF32; unset it for exact fp32";
        return null;
    }

    /**
     * The environment change that would serve this precision ({@value #TF32_ENV} set to 1, or
     * removed: a null value), or an empty map when the process is right as it is.
     */
    public java.util.Map<String, String> environmentFix(Device device) {
        java.util.Map<String, String> fix = new java.util.HashMap<>();
        if (environmentProblem(device) != null) fix.put(TF32_ENV, this == TF32 ? "1" : null);
        return fix;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
