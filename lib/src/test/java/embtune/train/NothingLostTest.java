package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.model.Embedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run folder keeps when the user is careless or the process dies: nothing written before is lost. */
@Tag("slow")
class NothingLostTest {
    @TempDir Path dir;

    Trainer trainer(Embedder model, int steps) {
        Trainer t = Trainer.with(model).loss("cosine_similarity").batchSize(4).maxSteps(steps).learningRate(1e-3)
                .outputDir(dir.resolve("output").toString()).logTo(TrainerTest.QUIET).terminal(false);
        t.set("logging_steps", 1);
        t.set("save_steps", 1);
        t.set("gradient_accumulation_steps", 1);
        return t;
    }

    static List<String> checkpoints(Path run) throws Exception {
        try (var l = Files.list(run)) {
            return l.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")).sorted().toList();
        }
    }

    Run train(int steps, Integer limit) {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = trainer(m, steps);
            t.set("save_total_limit", limit);
            return t.fit(TrainerTest.data());
        }
    }

    @Test
    void aSaveLimitOfZeroOrLessRotatesNothing() throws Exception {
        for (int limit : new int[] {0, -1}) {
            Run run = train(3, limit);
            assertEquals(List.of("checkpoint-1", "checkpoint-2", "checkpoint-3"), checkpoints(run.dir()), "limit " + limit);
            assertEquals("checkpoint-3", run.lastCheckpoint().getFileName().toString());
        }
        Run one = train(3, 1);
        assertEquals(List.of("checkpoint-3"), checkpoints(one.dir()), "limit 1 keeps the newest");
    }

    @Test
    void resumingFromAnEarlierCheckpointDropsTheLaterHistory() throws Exception {
        Run full = train(4, null);
        Path ckpt2 = full.dir().resolve("checkpoint-2");
        try (Embedder m = Embedder.load(ckpt2)) {
            Trainer t = trainer(m, 4);
            t.set("resume_from_checkpoint", ckpt2.toString());
            t.fit(TrainerTest.data());
        }
        List<Integer> logged = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(full.dir().resolve("logging.jsonl")))
            if (json.readTree(line).has("loss")) logged.add(json.readTree(line).get("step").asInt());
        assertEquals(List.of(1, 2, 3, 4), logged, "each step logged once");
        List<String> csv = Files.readAllLines(full.dir().resolve("training.csv"));
        assertEquals(5, csv.size(), "header + 4 steps: " + csv);
    }

    @Test
    void aCheckpointWriteKilledMidwayIsClearedOnResume() throws Exception {
        Run run = train(2, null);
        long deadPid = deadPid();
        Path half = run.dir().resolve(".checkpoint-3.tmp-" + deadPid);
        Files.createDirectories(half);
        Files.writeString(half.resolve("model.safetensors"), "half");
        // a kill between the two renames: the old checkpoint-2 is set aside, the new one never arrived
        Path aside = run.dir().resolve(".checkpoint-2.old-" + deadPid);
        Files.move(run.dir().resolve("checkpoint-2"), aside);
        Path ckpt1 = run.dir().resolve("checkpoint-1");
        try (Embedder m = Embedder.load(ckpt1)) {
            Trainer t = trainer(m, 1); // already done: nothing to train, only the folder is reopened
            t.set("resume_from_checkpoint", ckpt1.toString());
            t.fit(TrainerTest.data());
        }
        assertFalse(Files.exists(half), "half-written checkpoint removed");
        assertFalse(Files.exists(aside));
        assertTrue(Files.exists(run.dir().resolve("checkpoint-2").resolve("trainer_state.json")), "set-aside checkpoint put back");
    }

    @Test
    void aTruncatedTrainerStateIsOneSentence() throws Exception {
        Run run = train(1, null);
        Path state = run.lastCheckpoint().resolve(Checkpoint.STATE);
        String text = Files.readString(state);
        Files.writeString(state, text.substring(0, text.length() / 2));
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.state(run.lastCheckpoint()));
        assertTrue(e.getMessage().contains("trainer_state.json is not valid JSON"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        Files.writeString(state, "{}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.state(run.lastCheckpoint()))
                .getMessage().contains("no global_step"));
    }

    static long deadPid() {
        for (long pid = 4_000_000; ; pid++) if (ProcessHandle.of(pid).isEmpty()) return pid;
    }
}
