package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.lora.MergeCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 35: export checks every merge it makes; check-merge checks one made elsewhere, and fails a wrong one. */
class MergeCheckTest {
    static final Path ADAPTER = Fixtures.dir("tiny-qwen3-lora"), BASE = Fixtures.dir("tiny-qwen3");
    @TempDir Path dir;

    /** What a command prints to standard output while it runs. */
    static String stdout(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return b.toString();
    }

    @Test
    void exportPrintsTheLargestDifferenceAndCheckMergeAgrees() {
        Path merged = dir.resolve("merged");
        String printed = stdout(() -> ExportCommand.run(ExportCommand.cli().parse("--adapters", ADAPTER.toString(), "--model", BASE.toString(),
                "--output_dir", merged.toString())));
        assertTrue(printed.contains("merge check: largest difference between base + adapter and the merged model over 8 texts (built-in sentences)"), printed);
        assertTrue(printed.contains("within 1e-04"), printed);
        MergeCheck check = CheckMergeCommand.run(CheckMergeCommand.cli().parse("--adapters", ADAPTER.toString(), "--model", BASE.toString(),
                "--merged", merged.toString()));
        assertTrue(check.passed() && check.largestDifference() < 1e-5, check.toString());
    }

    @Test
    void aMergedFolderThatIsNotTheMergeFailsWithItsDifference() {
        // the base itself as the "merged" model: what a merge that lost the adapter (ms-swift issue 4084) gives
        var e = assertThrows(IllegalStateException.class, () -> stdout(() -> CheckMergeCommand.run(CheckMergeCommand.cli().parse(
                "--adapters", ADAPTER.toString(), "--model", BASE.toString(), "--merged", BASE.toString()))));
        assertTrue(e.getMessage().startsWith("the merged model in " + BASE + " does not give the adapter's vectors (largest difference "), e.getMessage());
        assertTrue(e.getMessage().contains("> 1e-04); the folder is kept"), e.getMessage());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CheckMergeCommand.cli().run(new String[] {"--adapters", ADAPTER.toString(), "--model", BASE.toString(), "--merged", BASE.toString()},
                CheckMergeCommand::run, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
        assertEquals(1, code, "exit status");
        assertEquals(1, err.toString().lines().count(), "one line: " + err);
    }

    @Test
    void textsComeFromTheRunsValidationDataWhenItHasSome() throws Exception {
        Path run = dir.resolve("v0-run"), ckpt = run.resolve("checkpoint-2");
        Files.createDirectories(ckpt);
        Files.writeString(run.resolve("args.json"), "{\"val_dataset\": [\"../datasets/stsb-dev.jsonl#3\"]}");
        MergeCheck.Texts t = CheckMergeCommand.texts(ckpt);
        assertEquals(3, t.texts().size(), t.toString());
        assertTrue(t.source().startsWith("the run's validation data"), t.source());
        assertEquals(embtune.data.Dataset.load("../datasets/stsb-dev.jsonl#3").iterator().next().anchor(), t.texts().get(0));
        assertEquals("built-in sentences", CheckMergeCommand.texts(dir.resolve("elsewhere")).source());
    }
}
