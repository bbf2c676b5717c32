package embtune.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** A model folder as the bytes of one zip, and back: what the driver broadcasts and an executor unpacks. */
final class FolderZip {
    /** A Java array's limit, and so a broadcast value's. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 64;

    private FolderZip() {}

    static byte[] zip(Path folder) {
        try {
            List<Path> files;
            try (var walk = Files.walk(folder)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            long size = 0;
            for (Path f : files) size += Files.size(f);
            if (size > MAX_BYTES)
                throw new embtune.ModelError(folder + ": " + size / (1 << 20) + " MiB is too large to ship to executors;"
                        + " put it where every executor can read it and pass --ship_model false");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(MAX_BYTES, size + 4096));
            try (ZipOutputStream out = new ZipOutputStream(bytes)) {
                out.setLevel(Deflater.NO_COMPRESSION); // weights do not compress; spend no time trying
                for (Path f : files) {
                    out.putNextEntry(new ZipEntry(folder.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot pack the model folder to ship it", e);
        }
    }

    /** Unpacks into a new temporary folder, removed when this JVM exits. */
    static Path unzip(byte[] zip, String name) {
        try {
            Path dir = Files.createTempDirectory("embtune-" + name + "-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    Path to = dir.resolve(e.getName()).normalize();
                    if (!to.startsWith(dir)) throw new IOException("entry outside the folder: " + e.getName());
                    Files.createDirectories(to.getParent());
                    Files.copy(in, to);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the shipped model folder " + name, e);
        }
    }

    private static void delete(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // the temporary folder goes with the machine anyway
        }
    }
}
