package embtune.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes tensors as one float32 {@code .safetensors} file, in the given order. The file appears
 * under its name only when complete (written beside it, then renamed), so a crash never leaves
 * a half-written weights file where a loader would find it.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            NDArray a = e.getValue();
            if (a.getDataType() != DataType.FLOAT32)
                throw new IllegalArgumentException("tensor " + e.getKey() + " is " + a.getDataType() + "; only float32 is written");
            long bytes = a.size() * 4;
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : a.getShape().getShape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8; // the format asks for 8-byte alignment, padded with spaces
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (head.hasRemaining()) ch.write(head);
            for (NDArray a : tensors.values()) {
                ByteBuffer data = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (data.hasRemaining()) ch.write(data);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + tmp + " to " + file, e);
        }
    }
}
