package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ./jbang shell: JShell with the library; the README's "From Java" snippet runs in it as typed (smaller samples). */
@Tag("subprocess")
class ShellCommandTest {
    @Test
    void theReadmeSnippetRunsInTheShell() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = readme.indexOf("```java", readme.indexOf("## From Java"));
        String snippet = readme.substring(from + "```java".length(), readme.indexOf("```", from + 7));
        assertTrue(snippet.contains("Trainer.with(model)") && snippet.contains("Dataset.load"), snippet);
        // the same lines on less data, so the test takes seconds, with run folders in the build
        String input = snippet.replace("#500", "#24").replace("#200", "#8").replace("Trainer.with(model)", "Trainer.with(model).outputDir(\"lib/target/shell-test\")")
                + "System.out.println(\"RESULT \" + run.metrics().rowCount() + \" \" + run.plotLoss().getWidth());\n/exit\n";
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), "embtune.cli.ShellCommand")
                .directory(Path.of("..").toFile()).redirectErrorStream(true).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), out);
        assertTrue(out.contains("embtune shell: embtune.data.*"), out);
        for (String bad : List.of("|  Error:", "Exception", "cannot find symbol", "does not exist"))
            assertFalse(out.contains(bad), bad + " in:\n" + out);
        assertTrue(out.contains("data ==> Dataset"), out);
        assertTrue(out.matches("(?s).*RESULT [1-9]\\d* 720.*"), out);
    }
}
