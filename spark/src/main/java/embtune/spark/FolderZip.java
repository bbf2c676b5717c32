package embtune.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** A model folder as one zip file in a temporary folder, for Spark to ship and unpack on executors. */
final class FolderZip {
    private FolderZip() {}

    static Path zip(Path folder) {
        try {
            Path zip = Files.createTempDirectory("embtune-ship").resolve(folder.getFileName() + ".zip");
            zip.getParent().toFile().deleteOnExit(); // runs after the zip's own (last registered, first deleted)
            zip.toFile().deleteOnExit();
            List<Path> files;
            try (var walk = Files.walk(folder)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
                out.setLevel(Deflater.NO_COMPRESSION); // safetensors do not compress; spend no time trying
                for (Path f : files) {
                    out.putNextEntry(new ZipEntry(folder.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
            return zip;
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot pack the model folder to ship it", e);
        }
    }
}
