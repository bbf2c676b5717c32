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
 * </ul>
 * bf16 is not offered: DJL's JNI maps no bfloat16 dtype (its dtype switch rethrows, which aborts
 * the JVM), so no bf16 tensor can be made without patching the native glue.
 */
public enum Precision {
    FP32, TF32, FP16;

    public static final String TF32_ENV = "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE";

    /** auto: tf32 on a GPU, fp32 on the CPU (where the two are the same thing). */
    public static Precision parse(String s, Device device) {
        String k = s == null ? "auto" : s.trim().toLowerCase(Locale.ROOT);
        return switch (k) {
            case "auto", "" -> device != null && device.isGpu() ? TF32 : FP32;
            case "fp32", "float32", "no" -> FP32;
            case "tf32" -> TF32;
            case "fp16", "float16", "half" -> FP16;
            case "bf16", "bfloat16" -> throw new IllegalArgumentException(
                    "precision bf16 is not available: DJL's PyTorch JNI has no bfloat16 dtype; use fp16 (with loss scaling) or tf32");
            default -> throw new IllegalArgumentException("unknown precision '" + s + "'; choose auto, fp32, tf32 or fp16");
        };
    }

    /** The dtype activations flow in. */
    public DataType computeType() {
        return this == FP16 ? DataType.FLOAT16 : DataType.FLOAT32;
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
        if (device == null || !device.isGpu()) return "fp32";
        return tf32Enabled() ? "tf32" : "fp32";
    }

    /** Null when the process environment serves this precision, else what to do about it. */
    public String environmentProblem(Device device) {
        if (device == null || !device.isGpu() || this == FP16) return null;
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
