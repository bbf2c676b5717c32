package embtune;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Executes every notebook headlessly (jupyter nbconvert --execute) with the "embtune" kernel and
 * fails on any cell error. Needs notebooks/install-kernel.sh to have run: on CI (CI=true) a
 * missing kernel is a failure, elsewhere the test is skipped with a note. The kernel is this
 * checkout's (lib/target/jupyter, put first on JUPYTER_PATH), never the user-wide one, which may
 * point at another clone. {@code -Dnotebook=03} runs only the notebooks whose name contains 03.
 */
@Tag("notebook")
class NotebooksTest {
    static final Path DIR = Path.of("..", "notebooks");

    /** Where install-kernel.sh writes this checkout's kernel spec (kernels/embtune/kernel.json). */
    static final Path KERNELS = Path.of("target", "jupyter").toAbsolutePath();

    static Stream<String> notebooks() throws IOException {
        String only = System.getProperty("notebook", "");
        try (var s = Files.list(DIR)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ipynb") && n.contains(only)).sorted().toList().stream();
        }
    }

    /** The kernel spec install-kernel.sh writes into this checkout, and a working nbconvert. */
    static boolean kernelInstalled() {
        if (!Files.exists(KERNELS.resolve(Path.of("kernels", "embtune", "kernel.json")))) return false;
        try {
            Process p = new ProcessBuilder("jupyter", "nbconvert", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @ParameterizedTest
    @MethodSource("notebooks")
    void runsWithoutACellError(String notebook, @TempDir Path out) throws Exception {
        boolean installed = kernelInstalled();
        if ("true".equals(System.getenv("CI"))) assertTrue(installed, "CI must run notebooks/install-kernel.sh first");
        assumeTrue(installed, "this checkout has no embtune Jupyter kernel (bash notebooks/install-kernel.sh)");
        // one try: the kernel's start-up races are fixed by its launcher (notebooks/kernel/EmbtuneKernel.java)
        ProcessBuilder nbconvert = new ProcessBuilder("jupyter", "nbconvert", "--to", "notebook", "--execute", DIR.resolve(notebook).toString(),
                "--output-dir", out.toString(), "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.startup_timeout=90")
                .redirectErrorStream(true);
        // JUPYTER_PATH comes before the user's and the system's kernel folders: this checkout's kernel wins
        String path = System.getenv("JUPYTER_PATH");
        nbconvert.environment().put("JUPYTER_PATH", KERNELS + (path == null || path.isEmpty() ? "" : File.pathSeparator + path));
        Process p = nbconvert.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.MINUTES), notebook + " did not finish");
        if (p.exitValue() != 0) fail(notebook + " failed:\n" + tail(log, 60));
    }

    static String tail(String s, int lines) {
        List<String> l = s.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
    }
}
