package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.train.Checkpoint;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C (SIGINT) during `train` saves a checkpoint of the last finished step and exits. */
@Tag("subprocess")
class InterruptTest {
    @Test
    void sigintSavesACheckpoint(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), "embtune.cli.TrainCommand",
                "--model", Fixtures.dir("tiny-bert").toString(), "--loss", "cosine_similarity",
                "--dataset", "../datasets/stsb-train.jsonl", "--batch_size", "4", "--gradient_accumulation_steps", "1",
                "--max_steps", "100000", "--logging_steps", "1", "--save_steps", "100000", "--output_dir", dir.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.startsWith("step 3/")) break;
        }
        assertTrue(p.isAlive(), "training still running when interrupted:\n" + seen);
        new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
        Thread drain = new Thread(() -> out.lines().forEach(l -> seen.append(l).append('\n')));
        drain.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "exits after Ctrl-C");
        drain.join(10_000);
        Path run = Files.list(dir).findFirst().orElseThrow();
        Path ckpt = Files.list(run).filter(f -> f.getFileName().toString().startsWith("checkpoint-")).findFirst()
                .orElseThrow(() -> new AssertionError("no checkpoint after Ctrl-C:\n" + seen));
        int step = Checkpoint.state(ckpt).get("global_step").asInt();
        assertTrue(step >= 3, "checkpoint of a step after the third: " + step);
        assertEquals("checkpoint-" + step, ckpt.getFileName().toString());
        assertTrue(seen.toString().contains("interrupted: saved"), seen.toString());
        assertTrue(Files.exists(ckpt.resolve("model.safetensors")) && Files.exists(ckpt.resolve("optimizer.safetensors")));
        // the run folder is finished before the exit: report and plots, no error line
        assertTrue(Files.size(run.resolve("report.html")) > 1000 && Files.exists(run.resolve("loss.png")), seen.toString());
        assertFalse(seen.toString().contains("Shutdown in progress"), seen.toString());
        assertFalse(seen.toString().contains("train: "), "no error line after Ctrl-C:\n" + seen);
    }
}
