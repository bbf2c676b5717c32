package embtune.engine;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrecisionTest {
    @Test
    void autoIsTf32OnAGpuAndFp32OnTheCpu() {
        assertEquals(Precision.TF32, Precision.parse("auto", Device.gpu()));
        assertEquals(Precision.FP32, Precision.parse("auto", Device.cpu()));
        assertEquals(Precision.FP16, Precision.parse("fp16", Device.cpu()));
        assertTrue(Precision.parse("tf32", Device.cpu()).environmentFix(Device.cpu()).isEmpty(), "the CPU has no TF32 to switch on");
        assertEquals("fp32", Precision.TF32.effective(Device.cpu()));
        assertEquals(Precision.BF16, Precision.parse("bfloat16", Device.cpu()));
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8", Device.gpu()));
    }

    @Test
    void autoFollowsTheModelsTorchDtypeWhereTheDeviceComputesBf16() {
        boolean bf16 = Precision.cpuHasBf16();
        var qwen = Precision.choose("auto", Device.cpu(), "bfloat16");
        assertEquals(bf16 ? Precision.BF16 : Precision.FP32, qwen.precision(), qwen.toString());
        assertTrue(qwen.reason().contains("torch_dtype is bfloat16"), qwen.reason());
        assertEquals(Precision.FP32, Precision.choose("auto", Device.cpu(), "float32").precision(), "MiniLM");
        assertEquals(Precision.FP32, Precision.choose(null, Device.cpu(), null).precision(), "no torch_dtype: float32");
        assertEquals(Precision.BF16, Precision.choose("auto", Device.gpu(), "bfloat16").precision());
        assertEquals(Precision.TF32, Precision.choose("auto", Device.gpu(), "float32").precision());
        var asked = Precision.choose("bf16", Device.cpu(), "float32");
        assertEquals(bf16 ? Precision.BF16 : Precision.FP32, asked.precision(), "an explicit bf16 runs where the CPU computes it");
        if (!bf16) assertTrue(asked.reason().contains("no bfloat16 instructions"), asked.reason());
        assertEquals(Precision.FP16, Precision.choose("fp16", Device.cpu(), "bfloat16").precision(), "asked beats the config");
    }

    @Test
    void tf32OnAGpuAsksForTheEnvironmentVariableIfItIsMissing() {
        boolean set = Precision.tf32Enabled();
        var fix = Precision.TF32.environmentFix(Device.gpu());
        if (set) assertTrue(fix.isEmpty());
        else assertEquals("1", fix.get(Precision.TF32_ENV));
        var fp32 = Precision.FP32.environmentFix(Device.gpu());
        assertEquals(set, fp32.containsKey(Precision.TF32_ENV), "exact fp32 on a GPU wants the variable unset");
    }

    @Test
    void onAGpuMachineTheBundledCpuLibtorchIsHiddenFromDjl() throws Exception {
        ClassLoader plain = getClass().getClassLoader();
        List<URL> all = Collections.list(plain.getResources(NativeLibrary.NATIVE_PROPERTIES));
        assertTrue(all.stream().anyMatch(u -> u.toString().contains("pytorch-native-cpu")), "the CPU jar is on the test classpath: " + all);
        ClassLoader hiding = new NativeLibrary.HidingCpuNative(plain);
        assertTrue(Collections.list(hiding.getResources(NativeLibrary.NATIVE_PROPERTIES)).isEmpty());
        assertNull(hiding.getResource(NativeLibrary.NATIVE_PROPERTIES));
        assertNotNull(hiding.getResource("jnilib/pytorch.properties"), "the JNI glue (with its cu128 build) stays visible");
        assertNotNull(hiding.getResource("pytorch-engine.properties"));
    }
}
