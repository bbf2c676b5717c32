package embtune.data;

import static org.junit.jupiter.api.Assertions.*;

import embtune.weights.AtomicDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a data path can be besides a file of rows: a FIFO, a link to a device, a link loop, a
 * folder; a line too long to be a row; JSON problems and numbers that must read right in one line;
 * and what a killed write leaves behind.
 */
class DataSourcesTest {
    @TempDir Path dir;

    static final String ROW = "{\"query\": \"q\", \"response\": \"p\"}";

    /** Loads {@code path} (within seconds: a FIFO or /dev/zero would block or grow forever) and returns the one-line refusal. */
    private static String refused(Path path) {
        DataError e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(DataError.class, () -> Dataset.load(path.toString())));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith(path.toString() + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aFifoIsRefusedNotReadForever() throws Exception {
        Path fifo = dir.resolve("pipe.jsonl");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertTrue(refused(fifo).endsWith(": is a named pipe (FIFO), not a regular file; give a .jsonl, .json, .csv, .tsv or .parquet file"));
    }

    @Test
    void aLinkToADeviceSaysWhereItLeads() throws IOException {
        Path zero = Files.createSymbolicLink(dir.resolve("zero.jsonl"), Path.of("/dev/zero"));
        assertTrue(refused(zero).contains(": links to /dev/zero, a character device, not a regular file"), refused(zero));
    }

    @Test
    void linkLoopsDanglingLinksAndFoldersAreNamedForWhatTheyAre() throws IOException {
        Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        String loop = refused(a);
        assertTrue(loop.contains("is a symbolic link that never reaches a file") && !loop.contains("no such file"), loop);

        Path dangling = Files.createSymbolicLink(dir.resolve("gone.jsonl"), dir.resolve("moved.jsonl"));
        String gone = refused(dangling);
        assertTrue(gone.contains("is a symbolic link to " + dir.resolve("moved.jsonl") + ", which does not exist"), gone);

        Path folder = Files.createDirectories(dir.resolve("rows.jsonl"));
        assertTrue(refused(folder).contains(": is a directory, not a regular file"), refused(folder));
        // the line-by-line reader (embed --file) says the same
        String viaLines = assertThrows(DataError.class, () -> Utf8Lines.readAll(folder)).getMessage();
        assertTrue(viaLines.contains("is a directory, not a regular file"), viaLines);
        String loopLines = assertThrows(DataError.class, () -> Utf8Lines.readAll(a)).getMessage();
        assertTrue(loopLines.contains("never reaches a file"), loopLines);
    }

    @Test
    void aLineOverTheLimitIsSaidToBeTooLongWithItsNumberAndTheLimit() throws IOException {
        int length = 17 << 20; // the limit is 16 MiB
        String huge = "{\"query\": \"" + "x".repeat(length - 30) + "\", \"response\": \"p\"}";
        assertEquals(length, huge.length());
        Path f = dir.resolve("long.jsonl");
        Files.writeString(f, ROW + "\n" + huge + "\n" + ROW + "\n", StandardCharsets.UTF_8);
        DataError e = assertThrows(DataError.class, () -> Dataset.load(f.toString()));
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("the line is 17,825,792 bytes long, over the limit of 16,777,216 bytes (16 MiB) for one row"), e.getMessage());
        assertFalse(e.getMessage().contains("malformed"), e.getMessage());
        Dataset kept = Dataset.load(f.toString(), LoadOptions.defaults().skipInvalid(true));
        assertEquals(2, kept.size(), "--skip_invalid skips the long line and reads on");
        assertEquals(1, kept.loadReport().skipped());
    }

    @Test
    void rowSelectionFollowsMsSwiftAndRefusesWhatCannotFit() {
        String data = "../datasets/stsb-train.jsonl";
        Dataset all = Dataset.load(data + "#24");
        List<String> notes = new ArrayList<>();
        var old = embtune.Log.to(m -> notes.add(m.toString()));
        Dataset more;
        try {
            more = all.sample(100, 42);
        } finally {
            embtune.Log.to(old);
        }
        // ms-swift: every row 100 // 24 = 4 times, then 100 % 24 = 4 rows drawn without replacement
        assertEquals(100, more.size());
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        for (Record r : more) counts.merge(r.anchor() + "\t" + r.positive(), 1, Integer::sum);
        assertEquals(24, counts.size());
        assertEquals(4, counts.values().stream().filter(c -> c == 5).count(), "the top-up rows are distinct: " + counts);
        assertEquals(List.of("note: " + all.name() + ": #100 on 24 rows repeats each row 4 times and adds 4 rows drawn at random (ms-swift's #N)"), notes);

        DataError huge = assertThrows(DataError.class, () -> Dataset.load(data + "#2147483647"));
        assertTrue(huge.getMessage().contains("#2147483647 asks for 2,147,483,647 rows of ") && huge.getMessage().contains("GiB free (-Xmx); ask for fewer rows"),
                huge.getMessage());
        for (String bad : List.of("#-3", "#abc", "#0", "#99999999999"))
            assertTrue(assertThrows(DataError.class, () -> Dataset.load(data + bad)).getMessage().contains("#N takes a whole number of rows"), bad);
    }

    @Test
    void everyBadImageOfAGmeDataSetIsListedWhileTheDataIsRead() throws IOException {
        Files.copy(embtune.Fixtures.dir("tiny-gme").resolve("small.png"), dir.resolve("ok.png"));
        Files.writeString(dir.resolve("text.png"), "not an image");
        // a valid PNG header that claims 100000 x 100000 pixels
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17).put("IHDR".getBytes(StandardCharsets.US_ASCII))
                .putInt(100_000).putInt(100_000).put(new byte[] {8, 2, 0, 0, 0});
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr.array());
        Files.write(dir.resolve("bomb.png"), java.nio.ByteBuffer.allocate(8 + 4 + 17 + 4)
                .put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).putInt(13).put(ihdr.array()).putInt((int) crc.getValue()).array());
        String row = "{\"query\": \"<image> a\", \"response\": \"b\", \"images\": [\"%s\"]}";
        Path f = DataFiles.write(dir, "gme.jsonl", String.format(row, "ok.png"), String.format(row, "missing.png"), String.format(row, "ok.png"),
                String.format(row, "text.png"), String.format(row, "bomb.png"));
        DataError e = assertThrows(DataError.class, () -> Dataset.load(f.toString()));
        String msg = e.getMessage();
        assertFalse(msg.contains("\n"), msg);
        assertTrue(msg.startsWith(f + ":2: 3 rows have images that cannot be used: line 2 images[0]: no such image file: " + dir.resolve("missing.png")
                + "; line 4 images[0]: " + dir.resolve("text.png") + ": not a PNG, JPEG, GIF or BMP image the JDK can read; line 5 images[0]: "
                + dir.resolve("bomb.png") + ": 100000x100000 pixels is more than 178956970; shrink it first"), msg);
        assertEquals(2, Dataset.load(f.toString(), LoadOptions.defaults().skipInvalid(true)).size(), "--skip_invalid keeps the good rows");
    }

    @Test
    void jsonProblemsAreOneLineWithFileAndPlace() throws IOException {
        Path adapter = Files.createDirectories(dir.resolve("adapter"));
        Files.writeString(adapter.resolve("adapter_config.json"), "{\n  \"r\": 8,\n  \"lora_alpha\": ,\n}\n");
        String msg = assertThrows(embtune.ModelError.class, () -> embtune.lora.Adapter.readConfig(adapter)).getMessage();
        assertFalse(msg.contains("\n"), msg);
        assertTrue(msg.startsWith(adapter.resolve("adapter_config.json") + ": not valid JSON: ") && msg.contains("(line 3, column "), msg);
        Path array = DataFiles.write(dir, "rows.json", "[" + ROW + ",", ROW + "}", "]");
        String data = assertThrows(DataError.class, () -> Dataset.load(array.toString())).getMessage();
        assertFalse(data.contains("\n"), data);
        assertTrue(data.startsWith(array + ":2: malformed JSON"), data);
    }

    @Test
    void wholeNumbersTooLargeForAFlagAreOutOfRangeNotWrappedOrNotNumbers() {
        var e = assertThrows(embtune.train.ConfigError.class, () -> new embtune.train.TrainConfig().with("max_length", "2147483648"));
        assertTrue(e.getMessage().contains("--max_length: '2147483648' is out of range (a whole number from -2147483648 to 2147483647)"), e.getMessage());
        var cli = new embtune.cli.Cli("x", "y").option("n", "1", "a count");
        var u = assertThrows(embtune.cli.Cli.UsageError.class, () -> cli.parse("--n", "99999999999").integer("n"));
        assertEquals("--n: '99999999999' is out of range (at most 2147483647)", u.getMessage());
    }

    @Test
    void anAdapterRankPastTheIntRangeIsNotReadAsANegativeOne() throws IOException {
        Path adapter = Files.createDirectories(dir.resolve("adapter"));
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 2147483648, \"lora_alpha\": 8}");
        String msg = assertThrows(embtune.ModelError.class, () -> embtune.lora.Adapter.readConfig(adapter)).getMessage();
        assertEquals(adapter.resolve("adapter_config.json") + ": field 'r' is 2147483648; the rank must be a whole number from 1 to 2147483647", msg);
    }

    @Test
    void unfinishedWritesOfDeadProcessesAreClearedByTheNextWrite() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            Path stale = Files.createDirectories(dir.resolve(".mexp.tmp-" + dead.pid()));
            Files.writeString(stale.resolve("model.safetensors"), "half");
            Path busy = Files.createDirectories(dir.resolve(".other.tmp-" + alive.pid()));
            List<String> notes = new ArrayList<>();
            var old = embtune.Log.to(m -> notes.add(m.toString()));
            try {
                AtomicDir.write(dir.resolve("mexp"), false, tmp -> Files.writeString(tmp.resolve("x"), "done"));
            } finally {
                embtune.Log.to(old);
            }
            assertFalse(Files.exists(stale), "a dead process's half-written folder is removed");
            assertTrue(Files.exists(busy), "a live process's write in progress is left alone");
            assertEquals("done", Files.readString(dir.resolve("mexp").resolve("x")));
            assertEquals(List.of("note: cleared 1 unfinished write of processes no longer running in " + dir + ": .mexp.tmp-" + dead.pid()), notes);
        } finally {
            alive.destroy();
        }
    }
}
