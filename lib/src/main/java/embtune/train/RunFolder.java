package embtune.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code output/vN-YYYYMMDD-HHMMSS/}: args.json, logging.jsonl (one JSON object per event),
 * checkpoint-STEP/ folders, and run.lock (the writing process's pid) while the run lasts. N counts
 * up from the highest existing version, as ms-swift does. Every run, a resumed one too, writes a
 * folder of its own: nothing written before is changed.
 */
public final class RunFolder implements AutoCloseable {
    private static final Pattern VERSION = Pattern.compile("v(\\d+)-.*");
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final BufferedWriter log;

    /** Takes the folder's lock, then refuses a folder that holds a run already (nothing written before is lost). */
    private RunFolder(Path dir) throws IOException {
        this.dir = dir;
        lock(dir);
        try {
            if (Files.exists(dir.resolve("logging.jsonl")) || Files.exists(dir.resolve("args.json")))
                throw new IllegalStateException(dir + " already holds a run (logging.jsonl, args.json), which this one would overwrite; "
                        + "nothing was changed: choose another --output_dir, or leave --add_version true for a new vN- folder");
            this.log = Files.newBufferedWriter(dir.resolve("logging.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException e) {
            unlock(dir);
            throw e;
        }
    }

    /**
     * A new {@code vN-YYYYMMDD-HHMMSS} folder under {@code outputDir}, N one above the highest
     * there. The folder is made with an atomic create, so two runs that start in the same second
     * (two resumes of one checkpoint) get two folders, never one between them.
     */
    public static RunFolder create(Path outputDir) {
        try {
            Files.createDirectories(outputDir);
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            for (int attempt = 0; ; attempt++) {
                Path dir = outputDir.resolve("v" + nextVersion(outputDir) + "-" + stamp);
                try {
                    Files.createDirectory(dir);
                    return new RunFolder(dir);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (attempt == 1000) throw taken;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a run folder in " + outputDir, e);
        }
    }

    private static int nextVersion(Path outputDir) throws IOException {
        int next = 0;
        try (var list = Files.list(outputDir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                Matcher m = VERSION.matcher(p.getFileName().toString());
                if (m.matches()) next = Math.max(next, Integer.parseInt(m.group(1)) + 1);
            }
        }
        return next;
    }

    /**
     * {@code --add_version false}: {@code dir} itself is the run folder. Refused while another
     * process holds it, and when it already holds a run (its logging.jsonl), whose files this run
     * would overwrite.
     */
    public static RunFolder at(Path dir) {
        try {
            Files.createDirectories(dir);
            return new RunFolder(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + dir + " as the run folder", e);
        }
    }

    /**
     * A run resumed from {@code checkpoint} writes its own folder: the checkpoint and the run it
     * belongs to are only read (unfinished writes of killed processes there are cleared, as every
     * write does). Its logging.jsonl starts with the history up to the checkpoint, so its report
     * shows the whole curve.
     */
    public static RunFolder resumed(Path checkpoint, Path outputDir, boolean addVersion, List<TrainEvent> history) {
        Path original = checkpoint.toAbsolutePath().normalize().getParent();
        embtune.weights.AtomicDir.clearLeftovers(original);
        RunFolder f = addVersion ? create(outputDir) : at(outputDir);
        for (TrainEvent event : history) f.log(event.toMap());
        return f;
    }

    /** The lock file of a run folder: the pid of the process writing it, there while it writes. */
    static final String LOCK = "run.lock";

    /**
     * Takes {@code dir}'s lock: made with an atomic create holding this pid; one left by a process
     * that is gone is replaced, one of a live process (or another run in this one) is refused.
     */
    private static void lock(Path dir) throws IOException {
        Path lock = dir.resolve(LOCK);
        long me = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            try {
                Files.writeString(lock, me + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return;
            } catch (java.nio.file.FileAlreadyExistsException held) {
                long holder = holder(lock);
                boolean alive = holder == me || holder > 0 && ProcessHandle.of(holder).map(ProcessHandle::isAlive).orElse(false);
                if (alive || attempt == 2)
                    throw new IllegalStateException(dir + " is in use by " + (holder == me ? "another run in this process" : "process " + holder)
                            + " (its lock file " + lock + "); two runs must not write one folder: wait for it to end or choose another --output_dir");
                Files.deleteIfExists(lock); // its process is gone (killed): the lock is stale
            }
        }
    }

    private static long holder(Path lock) {
        try {
            return Long.parseLong(Files.readString(lock).trim());
        } catch (IOException | NumberFormatException e) {
            return -1; // being written, or cut off: taken as stale on the next attempt
        }
    }

    private static void unlock(Path dir) {
        Path lock = dir.resolve(LOCK);
        if (holder(lock) != ProcessHandle.current().pid()) return;
        try {
            Files.deleteIfExists(lock);
        } catch (IOException e) {
            // a lock left behind names a process that is gone: the next run replaces it
        }
    }

    public Path dir() { return dir; }

    public Path checkpoint(long step) { return dir.resolve("checkpoint-" + step); }

    public void writeArgs(TrainConfig config) {
        try {
            Path tmp = dir.resolve("args.json.tmp");
            Files.writeString(tmp, config.toJson());
            Files.move(tmp, dir.resolve("args.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One event as a JSON line, flushed at once so a crash keeps everything logged before it. */
    public void log(Map<String, Object> event) {
        try {
            log.write(JSON.writeValueAsString(event));
            log.newLine();
            log.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checkpoint folders, oldest first. */
    public List<Path> checkpoints() {
        List<Path> out = new ArrayList<>();
        try (var list = Files.list(dir)) {
            list.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches()).forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparingLong(RunFolder::stepOf));
        return out;
    }

    static long stepOf(Path checkpoint) {
        Matcher m = CHECKPOINT.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) throw new IllegalArgumentException(checkpoint + " is not a checkpoint-STEP folder");
        return Long.parseLong(m.group(1));
    }

    @Override
    public void close() {
        try {
            log.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            unlock(dir);
        }
    }
}
