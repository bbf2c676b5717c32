package embtune.data;

import java.nio.file.Path;

/** ParquetTest's sample file for tests in other packages. */
public final class ParquetTestAccess {
    private ParquetTestAccess() {}

    public static Path stsbParquet(Path file) throws Exception {
        return ParquetTest.write(file, ParquetTest.ROWS);
    }
}
