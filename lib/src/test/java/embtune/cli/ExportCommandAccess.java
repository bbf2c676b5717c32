package embtune.cli;

import java.nio.file.Path;

/** The export command for tests in other packages. */
public final class ExportCommandAccess {
    private ExportCommandAccess() {}

    public static Path merge(Path adapters, Path out) {
        return ExportCommand.run(ExportCommand.cli().parse("--adapters", adapters.toString(), "--output_dir", out.toString()));
    }
}
