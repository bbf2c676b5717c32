package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.lora.Adapter;
import embtune.lora.LoraConfig;
import embtune.model.Embedder;
import embtune.ModelError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resume writes its own run folder and only reads the checkpoint and its run; a folder another
 * live process writes is refused (its lock file names the pid); a checkpoint resumes as the train
 * type it holds; an adapter goes only onto the architecture it was made for.
 */
class ResumeTest {
    @TempDir Path dir;

    Trainer trainer(Embedder model, int steps, Path output) {
        Trainer t = Trainer.with(model).loss("cosine_similarity").batchSize(4).maxSteps(steps).learningRate(1e-3)
                .outputDir(output.toString()).logTo(TrainerTest.QUIET).terminal(false);
        t.set("logging_steps", 1);
        t.set("save_steps", 2);
        t.set("gradient_accumulation_steps", 1);
        return t;
    }

    Run train(int steps) {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            return trainer(m, steps, dir.resolve("output")).fit(TrainerTest.data());
        }
    }

    Run resume(Path checkpoint, int steps, Path output, boolean addVersion) {
        try (Embedder m = Embedder.load(checkpoint)) {
            Trainer t = trainer(m, steps, output);
            t.set("resume_from_checkpoint", checkpoint.toString());
            t.set("add_version", addVersion);
            return t.fit(TrainerTest.data());
        }
    }

    /** Every file under {@code root} with its bytes, to see that nothing changed. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (var files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator)
                if (Files.isRegularFile(p)) out.put(root.relativize(p).toString(), java.util.Arrays.toString(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static List<Integer> loggedSteps(Path run) throws IOException {
        List<Integer> steps = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl")))
            if (json.readTree(line).has("loss")) steps.add(json.readTree(line).get("step").asInt());
        return steps;
    }

    @Test
    void aResumeWritesItsOwnFolderAndLeavesTheOriginalAsItWas() throws Exception {
        Run original = train(4);
        Map<String, String> before = snapshot(original.dir());
        Path ckpt2 = original.dir().resolve("checkpoint-2");

        Path elsewhere = dir.resolve("elsewhere");
        Run there = resume(ckpt2, 4, elsewhere, true);
        assertEquals(elsewhere, there.dir().getParent(), "under --output_dir");
        assertTrue(there.dir().getFileName().toString().startsWith("v0-"), there.dir().toString());
        assertEquals(List.of(1, 2, 3, 4), loggedSteps(there.dir()), "the history up to the checkpoint, then its own steps");
        assertTrue(Files.exists(there.dir().resolve("checkpoint-4")) && Files.exists(there.dir().resolve("args.json")));
        assertEquals(before, snapshot(original.dir()), "the original run, its checkpoints, logging.jsonl and args.json are unchanged");

        Run beside = resume(ckpt2, 4, Path.of(new TrainConfig().outputDir), true); // --output_dir not given
        assertEquals(original.dir().getParent(), beside.dir().getParent(), "a new vN- beside the original");
        assertNotEquals(original.dir(), beside.dir());
        assertTrue(beside.dir().getFileName().toString().startsWith("v1-"), beside.dir().toString());
        assertEquals(before, snapshot(original.dir()));
        assertFalse(Files.exists(beside.dir().resolve(RunFolder.LOCK)), "the lock goes when the run ends");
    }

    @Test
    void runsStartingAtOnceGetFoldersOfTheirOwn() throws Exception {
        Path out = dir.resolve("output");
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RunFolder>> started = new ArrayList<>();
        for (int i = 0; i < n; i++) started.add(pool.submit(() -> { go.await(); return RunFolder.create(out); }));
        go.countDown();
        Set<Path> folders = new HashSet<>();
        for (Future<RunFolder> f : started) {
            RunFolder r = f.get();
            folders.add(r.dir());
            assertEquals(String.valueOf(ProcessHandle.current().pid()), Files.readString(r.dir().resolve(RunFolder.LOCK)).trim());
            r.close();
        }
        pool.shutdown();
        assertEquals(n, folders.size(), "eight runs, eight folders: " + folders);
    }

    @Test
    void aFolderALiveProcessHoldsIsRefusedAndAStaleLockIsReplaced() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("fixed"));
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(folder.resolve(RunFolder.LOCK), other.pid() + "\n");
            var e = assertThrows(IllegalStateException.class, () -> RunFolder.at(folder));
            assertEquals(folder + " is in use by process " + other.pid() + " (its lock file " + folder.resolve(RunFolder.LOCK)
                    + "); two runs must not write one folder: wait for it to end or choose another --output_dir", e.getMessage());
            assertEquals(Set.of(RunFolder.LOCK), Set.of(folder.toFile().list()), "nothing written");
        } finally {
            other.destroy();
            other.waitFor();
        }
        // its process is gone now: the lock is stale and the folder can be used
        try (RunFolder f = RunFolder.at(folder)) {
            assertEquals(String.valueOf(ProcessHandle.current().pid()), Files.readString(folder.resolve(RunFolder.LOCK)).trim());
            var twice = assertThrows(IllegalStateException.class, () -> RunFolder.at(folder));
            assertTrue(twice.getMessage().contains("is in use by another run in this process"), twice.getMessage());
        }
        assertFalse(Files.exists(folder.resolve(RunFolder.LOCK)));
    }

    @Test
    void addVersionFalseNeverWritesIntoARunThatExists() throws Exception {
        Run original = train(2);
        Map<String, String> before = snapshot(original.dir());
        var e = assertThrows(IllegalStateException.class, () -> resume(original.dir().resolve("checkpoint-2"), 4, original.dir(), false));
        assertTrue(e.getMessage().startsWith(original.dir() + " already holds a run (logging.jsonl, args.json)"), e.getMessage());
        assertEquals(before, snapshot(original.dir()));
        Run own = resume(original.dir().resolve("checkpoint-2"), 4, dir.resolve("mine"), false);
        assertEquals(dir.resolve("mine"), own.dir(), "--add_version false: output_dir is the run folder");
        assertEquals(List.of(1, 2, 3, 4), loggedSteps(own.dir()));
    }

    @Test
    void aCheckpointResumesAsTheTrainTypeItHolds() throws Exception {
        Path lora = Fixtures.dir("tiny-qwen3-lora");
        var full = new TrainConfig().with("train_type", "full").with("resume_from_checkpoint", lora.toString());
        var e = assertThrows(ConfigError.class, full::requireCheckpointTrainType);
        assertEquals("--train_type full does not match --resume_from_checkpoint " + lora + ", a LoRA checkpoint (adapter_config.json): "
                + "resume it with --train_type lora", e.getMessage());
        new TrainConfig().with("train_type", "lora").with("resume_from_checkpoint", lora.toString()).requireCheckpointTrainType();

        Run run = train(2);
        Path ckpt = run.dir().resolve("checkpoint-2");
        try (Embedder m = Embedder.load(ckpt)) {
            Trainer t = trainer(m, 4, dir.resolve("lora-over-full"));
            t.set("resume_from_checkpoint", ckpt.toString());
            t.set("train_type", "lora");
            var wrong = assertThrows(ConfigError.class, () -> t.fit(TrainerTest.data()));
            assertTrue(wrong.getMessage().contains("a full-model checkpoint: resume it with --train_type full"), wrong.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("lora-over-full")), "refused before any work");
    }

    @Test
    void anAdapterGoesOnlyOntoTheArchitectureItWasMadeFor() throws Exception {
        Path qwen3Adapter = Fixtures.dir("tiny-qwen3-lora"); // peft's: auto_mapping Qwen3Model, base /tmp/fixtures/tiny-qwen3 (not here)
        for (String other : List.of("tiny-qwen2", "tiny-gme"))
            try (Embedder m = Embedder.load(Fixtures.dir(other))) {
                String msg = assertThrows(ModelError.class, () -> Adapter.load(m, qwen3Adapter)).getMessage();
                assertTrue(msg.startsWith(qwen3Adapter + ": this adapter was made for a qwen3 model (auto_mapping Qwen3Model in adapter_config.json), but the base "
                        + Fixtures.dir(other) + " is a " + (other.equals("tiny-gme") ? "qwen2_vl" : "qwen2") + " model"), msg);
            }
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            Adapter.load(m, qwen3Adapter); // its own base still takes it
        }

        // embtune's adapters record their base as a folder: its config.json decides
        Path adapter = dir.resolve("adapter");
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            LoraConfig lc = Adapter.readConfig(qwen3Adapter);
            embtune.lora.Lora.apply(m, lc, 1);
            Files.createDirectories(adapter);
            Adapter.writeInto(m, lc, Fixtures.dir("tiny-qwen3").toAbsolutePath().toString(), adapter);
        }
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen2"))) {
            String msg = assertThrows(ModelError.class, () -> Adapter.load(m, adapter)).getMessage();
            assertTrue(msg.contains("made for a qwen3 model (base_model_name_or_path " + Fixtures.dir("tiny-qwen3").toAbsolutePath()), msg);
        }
    }
}
