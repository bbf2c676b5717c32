package embtune.model;

import embtune.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Copies of fixture folders to break or convert in tests. */
final class ModelFolders {
    private ModelFolders() {}

    static Path copy(String fixture, Path into) {
        Path src = Fixtures.dir(fixture), dst = into.resolve(fixture);
        try (var walk = Files.walk(src)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                t.toFile().setWritable(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dst;
    }

    /** A safetensors file from a raw header string and a data size. */
    static Path rawSafetensors(Path file, String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
