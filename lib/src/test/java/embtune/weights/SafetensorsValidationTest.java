package embtune.weights;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.model.Embedder;
import embtune.ModelError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The header is checked against the data section as the safetensors format specifies: in offset
 * order the tensors follow each other from byte 0 to the end of the file, no overlap, no gap, no
 * tail, each tensor's bytes = dtype size x shape. A file that breaks a rule is refused, naming the
 * file and the tensors, before any weight is read.
 */
class SafetensorsValidationTest {
    @TempDir Path dir;

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return Files.write(dir.resolve("x.safetensors"), b.array());
    }

    private String refused(String header, int dataBytes) throws IOException {
        Path f = file(header, dataBytes);
        String msg = assertThrows(ModelError.class, () -> Safetensors.open(f)).getMessage();
        assertTrue(msg.startsWith(f + ": not a valid safetensors file: "), msg);
        assertFalse(msg.contains("\n"), msg);
        return msg;
    }

    private static String f32(String name, int n, long begin, long end) {
        return "\"" + name + "\": {\"dtype\": \"F32\", \"shape\": [" + n + "], \"data_offsets\": [" + begin + ", " + end + "]}";
    }

    @Test
    void overlappingTensorsAreRefusedNamingBoth() throws IOException {
        String msg = refused("{" + f32("a", 4, 0, 16) + ", " + f32("b", 4, 8, 24) + "}", 24);
        assertTrue(msg.contains("'a' [0, 16) and 'b' [8, 24) share bytes"), msg);
        // the same bytes twice, listed in either order
        msg = refused("{" + f32("b", 2, 0, 8) + ", " + f32("a", 2, 0, 8) + "}", 8);
        assertTrue(msg.contains("share bytes") && msg.contains("'a'") && msg.contains("'b'"), msg);
    }

    @Test
    void gapsAndTailsAreRefused() throws IOException {
        String gap = refused("{" + f32("a", 2, 0, 8) + ", " + f32("b", 2, 16, 24) + "}", 24);
        assertTrue(gap.contains("data bytes [8, 16) belong to no tensor (between 'a' and 'b')"), gap);
        String lead = refused("{" + f32("a", 2, 8, 16) + "}", 16);
        assertTrue(lead.contains("data bytes [0, 8) belong to no tensor (before the first tensor, 'a')"), lead);
        String tail = refused("{" + f32("a", 2, 0, 8) + "}", 16);
        assertTrue(tail.contains("data bytes [8, 16) belong to no tensor (after the last one, 'a')"), tail);
        String none = refused("{\"__metadata__\": {\"format\": \"pt\"}}", 4);
        assertTrue(none.contains("data bytes [0, 4) belong to no tensor (the header lists none)"), none);
    }

    @Test
    void sizesAndNumbersNeverWrapAround() throws IOException {
        // 2^61 floats: more bytes than a long counts; said as such, not as "-1 bytes"
        String huge = refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2305843009213693952], \"data_offsets\": [0, 8]}}", 8);
        // (the temporary folder's name, e.g. junit-1517..., may hold "-1" itself: only the message after the file is checked)
        String said = huge.substring(huge.indexOf(".safetensors"));
        assertTrue(said.contains("'a' has shape [2305843009213693952], too large to exist") && !said.contains("-1"), huge);
        // an end offset of 2^64 + 8 is not 8
        String wrapped = refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 18446744073709551624]}}", 8);
        assertTrue(wrapped.contains("'a' offsets [0,18446744073709551624] are outside the 8 data bytes"), wrapped);
        String fractional = refused("{\"a\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 8]}}", 8);
        assertTrue(fractional.contains("dimensions are whole numbers"), fractional);
        String twice = refused("{" + f32("a", 2, 0, 8) + ", " + f32("a", 2, 0, 8) + "}", 8);
        assertTrue(twice.contains("Duplicate field 'a'"), twice);
    }

    @Test
    void wellFormedFilesStillOpen() throws IOException {
        Path ok = file("{" + f32("b", 2, 8, 16) + ", " + f32("a", 2, 0, 8) + ", \"e\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [16, 16]}}", 16);
        assertEquals(3, Safetensors.open(ok).tensors().size(), "any header order, empty tensors allowed");
        for (String fixture : new String[] {"tiny-bert", "tiny-qwen3", "tiny-gme"})
            assertFalse(Safetensors.open(Fixtures.dir(fixture).resolve("model.safetensors")).tensors().isEmpty(), fixture);
    }

    @Test
    void aModelFolderWithAppendedBytesDoesNotLoad() throws IOException {
        Path model = dir.resolve("model"), from = Fixtures.dir("tiny-bert");
        try (var files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) Files.copy(p, model.resolve(from.relativize(p).toString()));
        }
        Path weights = model.resolve("model.safetensors");
        Files.write(weights, new byte[64], StandardOpenOption.APPEND);
        String msg = assertThrows(ModelError.class, () -> Embedder.load(model).close()).getMessage();
        assertTrue(msg.contains(weights.toString()) && msg.contains("belong to no tensor (after the last one, '"), msg);
    }
}
