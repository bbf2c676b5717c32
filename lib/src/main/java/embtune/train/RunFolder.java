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
 * checkpoint-STEP/ folders. N counts up from the highest existing version, as ms-swift does.
 */
public final class RunFolder implements AutoCloseable {
    private static final Pattern VERSION = Pattern.compile("v(\\d+)-.*");
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final BufferedWriter log;

    private RunFolder(Path dir) throws IOException {
        this.dir = dir;
        this.log = Files.newBufferedWriter(dir.resolve("logging.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public static RunFolder create(Path outputDir) {
        try {
            Files.createDirectories(outputDir);
            int next = 0;
            try (var list = Files.list(outputDir)) {
                for (Path p : (Iterable<Path>) list::iterator) {
                    Matcher m = VERSION.matcher(p.getFileName().toString());
                    if (m.matches()) next = Math.max(next, Integer.parseInt(m.group(1)) + 1);
                }
            }
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path dir = outputDir.resolve("v" + next + "-" + stamp);
            Files.createDirectories(dir);
            return new RunFolder(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a run folder in " + outputDir, e);
        }
    }

    /**
     * Continue writing into the run folder a checkpoint belongs to, resuming after {@code step}:
     * events logged after it (a run that went further before being resumed from an earlier
     * checkpoint) are dropped, as the Trainer state drops them, and unfinished checkpoint writes of
     * a killed process are cleared.
     */
    public static RunFolder reopen(Path runDir, long step) {
        try {
            embtune.weights.AtomicDir.clearLeftovers(runDir);
            Path log = runDir.resolve("logging.jsonl");
            if (Files.exists(log)) {
                List<String> kept = new ArrayList<>();
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    com.fasterxml.jackson.databind.JsonNode event;
                    try {
                        event = JSON.readTree(line);
                    } catch (com.fasterxml.jackson.core.JsonProcessingException cutOff) {
                        continue; // the last line of a killed process
                    }
                    if (!event.path("step").isNumber() || event.path("step").asLong() <= step) kept.add(line);
                }
                Path tmp = runDir.resolve("logging.jsonl.tmp");
                Files.write(tmp, kept, StandardCharsets.UTF_8);
                Files.move(tmp, log, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return new RunFolder(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reopen the run folder " + runDir, e);
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
        }
    }
}
