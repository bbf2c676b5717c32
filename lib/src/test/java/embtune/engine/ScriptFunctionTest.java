package embtune.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/** TorchScript that embtune writes and libtorch compiles: the archive, its source, and what a failure looks like. */
class ScriptFunctionTest {
    @Test
    void theBundledLibtorchCompilesTheArchiveItsSourceAndPickleDescribe() throws Exception {
        assertTrue(new ScriptFunction("Silu", "x", "return torch.silu(x)").available(), "libtorch compiled the silu archive");
        String src = ScriptFunction.source("Silu", "x", "Tensor", "return torch.silu(x)");
        assertTrue(src.contains("def forward(self: __torch__.Silu,\n    x: Tensor) -> Tensor:\n    return torch.silu(x)"), src);
        var names = new java.util.ArrayList<String>();
        try (var z = new ZipInputStream(new java.io.ByteArrayInputStream(ScriptFunction.archive("Silu", src)))) {
            for (var e = z.getNextEntry(); e != null; e = z.getNextEntry()) names.add(e.getName());
        }
        assertEquals(java.util.List.of("silu/data.pkl", "silu/code/__torch__.py", "silu/constants.pkl", "silu/version"), names);
    }

    @Test
    void aFunctionLibtorchCannotCompileIsReportedUnavailableSoCallersKeepTheirDjlOps() {
        ScriptFunction broken = new ScriptFunction("Broken", "x", "return torch.no_such_op(x)");
        assertFalse(broken.available());
        assertFalse(broken.available(), "asked again: still unavailable, not retried");
        assertThrows(IllegalStateException.class, () -> broken.apply());
        assertTrue(broken.toString().contains("not available"), broken.toString());
    }
}
