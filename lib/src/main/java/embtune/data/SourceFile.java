package embtune.data;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A data path must name a regular file: a FIFO or a device such as {@code /dev/zero} never ends
 * (reading it grows memory without bound), and a link that loops or dangles names nothing. Each is
 * refused in one line that says what the path is.
 */
final class SourceFile {
    private static final String WANTED = "give a .jsonl, .json, .csv, .tsv or .parquet file";

    private SourceFile() {}

    /** Whether anything, even a broken link, sits at {@code path}. */
    static boolean present(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    /** Returns {@code path} if it is (or links to) a regular file; else a {@link DataError} saying what it is. */
    static Path requireRegular(String name, Path path) {
        if (Files.isRegularFile(path)) return path;
        if (!present(path)) throw new DataError(name, 0, null, "no such file");
        throw new DataError(name, 0, null, describe(path) + ", not a regular file; " + WANTED);
    }

    /** "is a directory", "is a named pipe (FIFO)", "links to /dev/zero, a character device", "is a symbolic link loop ..." */
    static String describe(Path path) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            return "is a symbolic link to " + target(path) + ", which does not exist";
        } catch (FileSystemException e) {
            return "is a symbolic link that never reaches a file (" + (e.getReason() == null ? "a loop" : e.getReason()) + ")";
        } catch (IOException e) {
            return "cannot be resolved (" + e.getMessage() + ")";
        }
        String kind = kind(real);
        return real.equals(path.toAbsolutePath().normalize()) ? "is " + kind : "links to " + real + ", " + kind;
    }

    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "a missing path";
        }
    }

    /** What a non-regular file is, from its POSIX mode where the platform has one. */
    private static String kind(Path real) {
        if (Files.isDirectory(real)) return "a directory";
        try {
            int type = (Integer) Files.getAttribute(real, "unix:mode") & 0170000;
            switch (type) {
                case 0010000: return "a named pipe (FIFO)";
                case 0020000: return "a character device";
                case 0060000: return "a block device";
                case 0140000: return "a socket";
                default: break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // no POSIX mode here: say only what it is not
        }
        return "a special file";
    }
}
