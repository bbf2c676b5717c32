package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.train.Run;
import embtune.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: bundled data, held-out evaluation before and after, a before -> after table. */
class BundledRunTest {
    @TempDir java.nio.file.Path dir;

    static TrainConfig config(String... argv) {
        return TrainCommand.config(TrainCommand.cli().parse(argv), Map.of(), new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void withoutADatasetTheRunHoldsOutDevDataAndEvaluatesFirst() {
        TrainConfig c = config("--loss", "infonce");
        assertTrue(c.valDataset().get(0).endsWith("datasets/stsb-infonce-dev.jsonl"), c.valDataset().toString());
        assertEquals(true, c.get("eval_on_start"));
        assertEquals(40, c.get("max_steps"));
        assertEquals(1e-4, c.get("learning_rate"));
        assertTrue(config().valDataset().get(0).endsWith("datasets/stsb-dev.jsonl"), "cosine_similarity on scores");
        TrainConfig mine = config("--loss", "infonce", "--max_steps", "5", "--learning_rate", "2e-5", "--eval_on_start", "false");
        assertEquals(5, mine.get("max_steps"), "the user's flags win");
        assertEquals(2e-5, mine.get("learning_rate"));
        assertEquals(false, mine.get("eval_on_start"));
        TrainConfig own = config("--loss", "infonce", "--dataset", "../datasets/stsb-infonce-train.jsonl");
        assertEquals(List.of(), own.valDataset(), "with its own data a run gets no bundled defaults");
        assertEquals(-1, own.get("max_steps"));
    }

    @Test

    @Tag("slow")
    void itPrintsTheHeldOutMetricsBeforeAndAfter() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        Run run;
        try {
            run = TrainCommand.run(config("--loss", "infonce", "--model", Fixtures.dir("tiny-bert").toString(), "--max_steps", "4",
                    "--output_dir", dir.toString()));
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("evaluation, step 0 -> 4"), out);
        for (String metric : List.of("loss", "margin", "mean_neg", "mean_pos", "mrr@10", "accuracy@1"))
            assertTrue(out.lines().anyMatch(l -> l.trim().startsWith(metric + " ")), metric + " row in\n" + out);
        assertEquals(0, run.history().stream().filter(e -> e instanceof embtune.train.TrainEvent.Eval).findFirst().orElseThrow().step(),
                "evaluated before the first step");
    }
}
