package embtune.data;

/**
 * How to read a data set: skip invalid rows instead of stopping ({@code --skip-invalid}), which
 * CSV columns to use, and the seed for {@code #N} sampling (ms-swift's data_seed, 42).
 */
public record LoadOptions(boolean skipInvalid, Columns columns, long seed) {
    public static LoadOptions defaults() {
        return new LoadOptions(false, null, 42);
    }

    public LoadOptions skipInvalid(boolean skip) {
        return new LoadOptions(skip, columns, seed);
    }

    public LoadOptions columns(Columns c) {
        return new LoadOptions(skipInvalid, c, seed);
    }

    public LoadOptions seed(long s) {
        return new LoadOptions(skipInvalid, columns, s);
    }
}
