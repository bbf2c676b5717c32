package embtune.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A dtype cast that autograd sees. DJL's {@code toType} runs under torch's NoGradGuard, so a
 * cast made with it cuts the graph; an in-place add into a fresh zero tensor of the target type
 * is an ordinary recorded op ({@code zeros.add_(x)}): torch casts the value on the way in and
 * casts the gradient back to x's dtype on the way out. This is what autocast does to weights
 * and activations, written out.
 * <p>
 * bfloat16: DJL's JNI maps no bfloat16 dtype, so it can neither create nor cast to one; the cast
 * runs inside a TorchScript function instead (recorded by autograd like any op). DJL then holds
 * the result as an opaque handle that reports {@link DataType#UNKNOWN}: {@link #type} reads that
 * as bfloat16, the only dtype embtune ever makes that DJL cannot name.
 */
public final class Cast {
    private Cast() {}

    static final ScriptFunction TO_BF16 = new ScriptFunction("ToBf16", "x", "return torch.to(x, 15)"); // 15: torch.bfloat16
    static final ScriptFunction TO_FP32 = new ScriptFunction("ToFp32", "x", "return torch.to(x, 6)"); // 6: torch.float32

    /** x as {@code type}; UNKNOWN (another array's {@code getDataType()} when that array is bfloat16) means bfloat16. */
    public static NDArray to(NDArray x, DataType type) {
        if (type == DataType.UNKNOWN) type = DataType.BFLOAT16;
        DataType from = type(x);
        if (from == type) return x;
        if (type == DataType.BFLOAT16) return TO_BF16.apply(x);
        if (from == DataType.BFLOAT16 && type == DataType.FLOAT32) return TO_FP32.apply(x);
        NDArray out = x.getManager().zeros(x.getShape(), type);
        out.addi(x);
        return out;
    }

    public static NDArray toFloat32(NDArray x) {
        return to(x, DataType.FLOAT32);
    }

    /** x's dtype, with bfloat16 named (DJL reports it as UNKNOWN). */
    public static DataType type(NDArray x) {
        DataType t = x.getDataType();
        return t == DataType.UNKNOWN ? DataType.BFLOAT16 : t;
    }

    public static boolean isBf16(NDArray x) {
        return x.getDataType() == DataType.UNKNOWN;
    }
}
