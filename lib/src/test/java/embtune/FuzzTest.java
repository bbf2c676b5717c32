package embtune;

import static org.junit.jupiter.api.Assertions.*;

import embtune.data.DataError;
import embtune.data.Dataset;
import embtune.model.ModelConfig;
import embtune.ModelError;
import embtune.weights.Safetensors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and mutated bytes fed to every reader of user files: each either reads the file or
 * fails with one located line (DataError or ModelError), never another exception type.
 */
@Tag("slow")
class FuzzTest {
    static final int ROUNDS = 400;
    @TempDir Path dir;

    static final String JSONL = String.join("\n",
            "{\"query\": \"A man plays guitar.\", \"response\": \"Someone strums.\", \"rejected_response\": [\"A dog runs.\"]}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": [[{\"role\": \"user\", \"content\": \"p\"}]], \"label\": 1}",
            "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"score\": 0.4}") + "\n";
    static final String CSV = "sentence1,sentence2,score\n\"a, quoted\",b,0.5\nc,d,1\n";
    static final String JSON = "[{\"query\": \"q1\", \"response\": \"p1\", \"label\": 0.5},\n{\"query\": \"q2\", \"response\": \"p2\", \"label\": 1}]\n";

    /** One of: flip bytes, insert bytes, delete a range, truncate, duplicate a range, or all random. */
    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        switch (r.nextInt(6)) {
            case 0 -> { for (int k = 0, n = 1 + r.nextInt(8); k < n && b.length > 0; k++) b[r.nextInt(b.length)] = (byte) r.nextInt(256); }
            case 1 -> {
                int at = r.nextInt(b.length + 1);
                byte[] ins = new byte[1 + r.nextInt(16)];
                r.nextBytes(ins);
                byte[] out = new byte[b.length + ins.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(ins, 0, out, at, ins.length);
                System.arraycopy(b, at, out, at + ins.length, b.length - at);
                b = out;
            }
            case 2 -> {
                int from = r.nextInt(b.length), to = Math.min(b.length, from + 1 + r.nextInt(32));
                byte[] out = new byte[b.length - (to - from)];
                System.arraycopy(b, 0, out, 0, from);
                System.arraycopy(b, to, out, from, b.length - to);
                b = out;
            }
            case 3 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1));
            case 4 -> {
                int from = r.nextInt(b.length), len = Math.min(b.length - from, 1 + r.nextInt(64));
                byte[] out = Arrays.copyOf(b, b.length + len);
                System.arraycopy(b, from, out, b.length, len);
                b = out;
            }
            default -> { b = new byte[r.nextInt(200)]; r.nextBytes(b); }
        }
        return b;
    }

    void fuzz(String name, byte[] seed, long randomSeed, Consumer<Path> reader) throws Exception {
        Random r = new Random(randomSeed);
        Path f = dir.resolve(name);
        int failures = 0;
        for (int i = 0; i < ROUNDS; i++) {
            byte[] b = mutate(seed, r);
            Files.write(f, b);
            try {
                reader.accept(f);
            } catch (DataError | ModelError e) {
                failures++;
                assertFalse(e.getMessage().contains("\n"), name + " round " + i + ": one line, got: " + e.getMessage());
                assertTrue(e.getMessage().contains(f.toString()), name + " round " + i + ": names the file: " + e.getMessage());
            } catch (Throwable t) {
                fail(name + " round " + i + " escaped as " + t + " for bytes " + new String(b, StandardCharsets.ISO_8859_1), t);
            }
        }
        assertTrue(failures > ROUNDS / 10, name + ": mutations were caught " + failures + " times");
    }

    @Test
    void dataReaders() throws Exception {
        fuzz("a.jsonl", JSONL.getBytes(StandardCharsets.UTF_8), 1, p -> Dataset.load(p.toString()));
        fuzz("a.csv", CSV.getBytes(StandardCharsets.UTF_8), 2, p -> Dataset.load(p.toString()));
        fuzz("a.tsv", CSV.replace(',', '\t').getBytes(StandardCharsets.UTF_8), 3, p -> Dataset.load(p.toString()));
        fuzz("a.json", JSON.getBytes(StandardCharsets.UTF_8), 4, p -> Dataset.load(p.toString()));
    }

    @Test
    void safetensorsHeader() throws Exception {
        byte[] file = Files.readAllBytes(Fixtures.dir("tiny-bert").resolve("model.safetensors"));
        long headerLen = java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] head = Arrays.copyOf(file, (int) (8 + headerLen + 4096)); // header plus the first tensors' bytes
        fuzz("model.safetensors", head, 5, p -> Safetensors.open(p).tensors().values().forEach(Safetensors.TensorInfo::numel));
    }

    @Test
    void configReader() throws Exception {
        for (String model : new String[] {"tiny-bert", "tiny-qwen3", "tiny-modernbert"}) {
            byte[] seed = Files.readAllBytes(Fixtures.dir(model).resolve("config.json"));
            fuzz("config.json", seed, model.hashCode(), p -> ModelConfig.read(p.getParent()));
        }
    }
}
