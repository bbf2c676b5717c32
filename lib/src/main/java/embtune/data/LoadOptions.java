package embtune.data;

/**
 * How to read a data set: skip invalid rows instead of stopping ({@code --skip-invalid}), which
 * CSV columns to use, the seed for {@code #N} sampling (ms-swift's data_seed, 42), and the hub
 * that data set ids come from (null: Hugging Face, or ModelScope when USE_HF=0).
 */
public record LoadOptions(boolean skipInvalid, Columns columns, long seed, String hub) {
    public static LoadOptions defaults() {
        return new LoadOptions(false, null, 42, null);
    }

    public LoadOptions skipInvalid(boolean skip) {
        return new LoadOptions(skip, columns, seed, hub);
    }

    public LoadOptions columns(Columns c) {
        return new LoadOptions(skipInvalid, c, seed, hub);
    }

    public LoadOptions seed(long s) {
        return new LoadOptions(skipInvalid, columns, s, hub);
    }

    public LoadOptions hub(String h) {
        return new LoadOptions(skipInvalid, columns, seed, h);
    }
}
