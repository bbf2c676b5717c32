package embtune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The Python reference stack (torch CPU, transformers, sentence-transformers, peft, scipy) as a
 * test tool: {@code EMBTUNE_PYTHON}, else the virtual environment {@code .ci/python-ref.sh}
 * makes in {@code ~/.cache/embtune/pyref}. Without it the tests that need it are skipped with a
 * message, except under {@code CI=true}, where they fail: CI must prove the interop.
 */
public final class PythonRef {
    private static String python;
    private static String problem;

    private PythonRef() {}

    /** The interpreter, or a skip (a failure in CI) naming what is missing. */
    public static synchronized String python() {
        if (python == null && problem == null) find();
        if (python != null) return python;
        String why = "no Python reference stack (" + problem + "); run bash .ci/python-ref.sh or set EMBTUNE_PYTHON";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(why);
        Assumptions.abort(why);
        return null;
    }

    private static void find() {
        String env = System.getenv("EMBTUNE_PYTHON");
        String candidate = env != null && !env.isBlank() ? env
                : Path.of(System.getProperty("user.home"), ".cache", "embtune", "pyref", "bin", "python").toString();
        if (env == null && !Files.exists(Path.of(candidate))) {
            problem = candidate + " does not exist";
            return;
        }
        Result r = exec(List.of(candidate, "-c", "import torch, transformers, sentence_transformers, peft, scipy"), 300);
        if (r.code == 0) python = candidate;
        else problem = candidate + " cannot import the stack: " + r.output.strip().lines().reduce((a, b) -> b).orElse("");
    }

    public record Result(int code, String output, String stdout) {}

    /** Runs a Python file of src/test/resources with arguments; stdout and stderr kept apart. */
    public static Result script(String resource, String... args) {
        List<String> cmd = new ArrayList<>(List.of(python(), Path.of("src", "test", "resources", resource).toString()));
        cmd.addAll(List.of(args));
        return exec(cmd, 600);
    }

    /** Runs a script that prints one JSON object last, and returns it (failing with its output otherwise). */
    public static JsonNode json(String resource, String... args) {
        Result r = script(resource, args);
        assertEquals(0, r.code, resource + " failed:\n" + r.output);
        String last = r.stdout.strip().lines().reduce((a, b) -> b).orElse("");
        try {
            return new ObjectMapper().readTree(last);
        } catch (IOException e) {
            throw new AssertionError(resource + " printed no JSON:\n" + r.output, e);
        }
    }

    static Result exec(List<String> cmd, int seconds) {
        try {
            Path out = Files.createTempFile("py", ".out"), err = Files.createTempFile("py", ".err");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + seconds + " s: " + cmd, "");
            }
            String so = Files.readString(out, StandardCharsets.UTF_8), se = Files.readString(err, StandardCharsets.UTF_8);
            Files.delete(out);
            Files.delete(err);
            return new Result(p.exitValue(), so + "\n" + se, so);
        } catch (IOException e) {
            return new Result(-1, e.toString(), "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted", "");
        }
    }
}
