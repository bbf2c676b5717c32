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
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("bf16", Device.gpu()));
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8", Device.gpu()));
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
