package embtune.cli;

/** Test access to the eval command's package-private entry point. */
public final class EvalCommandAccess {
    private EvalCommandAccess() {}

    public static tech.tablesaw.api.Table run(String... argv) throws Exception {
        return EvalCommand.run(EvalCommand.cli().parse(argv));
    }
}
