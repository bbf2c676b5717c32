package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The TF32 restart: the same command line again, with the environment changed, and the child's exit status. */
class RelaunchTest {
    @Test
    @Tag("subprocess")
    void restartsTheSameCommandWithTheNewEnvironment() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // a class path past 4096 bytes, as JBang's is: the command line cannot be read back from /proc
        String cp = System.getProperty("java.class.path") + System.getProperty("path.separator") + "/nonexistent/padding".repeat(300);
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", cp, RelaunchProbe.class.getName(), "a b", "c")
                .redirectErrorStream(true);
        pb.environment().remove("PROBE");
        pb.environment().remove(Relaunch.MARKER);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(3, p.waitFor(), out);
        assertEquals("PROBE=yes child=true args=a b,c", out);
    }

    @Test
    void trainAsksForHugePagesOnLinuxUnlessTheEnvironmentSaysOtherwise() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"));
        assertEquals(java.util.Map.of("THP_MEM_ALLOC_ENABLE", "1"), TrainCommand.hugePagesFix(java.util.Map.of()));
        assertEquals(java.util.Map.of(), TrainCommand.hugePagesFix(java.util.Map.of("THP_MEM_ALLOC_ENABLE", "0")));
        assertEquals(java.util.Map.of(), TrainCommand.hugePagesFix(java.util.Map.of("THP_MEM_ALLOC_ENABLE", "1")));
    }
}
