package embtune.data;

/**
 * How to read a data set: skip invalid rows instead of stopping ({@code --skip-invalid}), which
 * CSV columns to use, the seed for {@code #N} sampling (ms-swift's data_seed, 42), and the hub
 * that data set ids come from (null: Hugging Face, or ModelScope when USE_HF=0).
 */
public record LoadOptions(boolean skipInvalid, Columns columns, long seed, embtune.hub.Hub hub) {
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

    /** The hub data set ids resolve against (null: the one USE_HF picks, configured from the environment). */
    public LoadOptions hub(embtune.hub.Hub h) {
        return new LoadOptions(skipInvalid, columns, seed, h);
    }

    /** A hub by name: huggingface or modelscope (null: as USE_HF says). */
    public LoadOptions hub(String name) {
        return hub(name == null ? null : embtune.hub.Hub.named(name));
    }
}
