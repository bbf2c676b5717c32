package embtune.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes small data files for tests. */
final class DataFiles {
    private DataFiles() {}

    static Path write(Path dir, String name, String... lines) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, String.join("\n", lines) + "\n");
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository's datasets/ folder (tests run from lib/). */
    static Path bundled(String name) {
        return Path.of("..", "datasets", name);
    }
}
