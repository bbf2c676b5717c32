package embtune.weights;

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
            clear(parent, false); // what a killed earlier write left beside it (this process's own may be in progress)
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

    private static final java.util.regex.Pattern LEFTOVER = java.util.regex.Pattern.compile("\\.(.+)\\.(tmp|old)-(\\d+)");

    /**
     * Clears what a write killed midway ({@code kill -9}, power loss) left in {@code parent}: a
     * half-written {@code .NAME.tmp-PID} is deleted; a {@code .NAME.old-PID} is put back when NAME
     * is missing (the kill fell between the two renames) and deleted otherwise. Leftovers of a
     * process that is still alive are not touched. What was cleared is named in one note. Returns
     * how many were cleared.
     */
    public static int clearLeftovers(Path parent) {
        return clear(parent, true);
    }

    private static int clear(Path parent, boolean ownToo) {
        int n = 0;
        java.util.List<String> cleared = new java.util.ArrayList<>();
        if (!Files.isDirectory(parent)) return 0;
        try (var list = Files.list(parent)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                var m = LEFTOVER.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                long pid = Long.parseLong(m.group(3));
                boolean own = pid == ProcessHandle.current().pid();
                if (own ? !ownToo : ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                Path target = parent.resolve(m.group(1));
                boolean putBack = m.group(2).equals("old") && !Files.exists(target);
                if (putBack) Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
                else deleteTree(p);
                cleared.add(p.getFileName() + (putBack ? " (put back as " + target.getFileName() + ")" : ""));
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear unfinished writes in " + parent, e);
        }
        if (n > 0) embtune.Log.note("cleared " + n + " unfinished write" + (n == 1 ? "" : "s") + " of processes no longer running in "
                + parent + ": " + String.join(", ", cleared));
        return n;
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
