package embtune.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Writes a folder all at once: fill a hidden temporary sibling, then rename it into place. An
 * existing folder is an error unless {@code overwrite}; then the old one is moved aside first and
 * deleted only after the new one is in place.
 */
public final class AtomicDir {
    public interface Writer {
        void write(Path tmp) throws IOException;
    }

    private AtomicDir() {}

    public static void write(Path target, boolean overwrite, Writer writer) {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.exists(abs) && !overwrite)
            throw new IllegalStateException(abs + " already exists; nothing was written (pass --exist_ok / overwrite to replace it)");
        Path parent = abs.getParent();
        Path tmp = parent.resolve("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(parent);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            writer.write(tmp);
            Path old = null;
            if (Files.exists(abs)) {
                old = parent.resolve("." + abs.getFileName() + ".old-" + ProcessHandle.current().pid());
                deleteTree(old);
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            if (old != null) deleteTree(old);
        } catch (IOException e) {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the original error matters more
            }
            throw new UncheckedIOException("cannot write " + abs, e);
        } catch (RuntimeException e) {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the original error matters more
            }
            throw e;
        }
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
