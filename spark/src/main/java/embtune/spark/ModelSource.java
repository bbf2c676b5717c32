package embtune.spark;

import embtune.cli.ModelArgs;
import embtune.lora.Adapter;
import embtune.model.Embedder;
import embtune.model.ModelDir;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkFiles;

/**
 * Which model every executor loads, as a small serializable value the driver hands to tasks: a
 * model folder, optionally a PEFT adapter folder on it, and the load options. The folders are
 * either read where they are (a path every executor sees: local mode, a shared mount) or shipped
 * with {@link SparkContext#addArchive}, and then found in each executor's {@link SparkFiles} root.
 */
public record ModelSource(String model, String adapter, boolean shipped, Integer maxLength, int batchSize,
                          boolean query) implements Serializable {

    /**
     * Resolves {@code --model} / {@code --adapters} on the driver (hub ids are downloaded here, once)
     * and checks what can be checked before any task starts: the model folder reads, the adapter's
     * config is one embtune applies.
     */
    public static ModelSource resolve(String model, String adapters, embtune.hub.Hub hub) {
        ModelArgs.Folders f = ModelArgs.folders(model, adapters, hub);
        ModelDir.read(f.model());
        if (f.adapter() != null) Adapter.readConfig(f.adapter());
        return new ModelSource(f.model().toAbsolutePath().normalize().toString(),
                f.adapter() == null ? null : f.adapter().toAbsolutePath().normalize().toString(), false, null, 32, false);
    }

    public ModelSource maxLength(Integer n) { return new ModelSource(model, adapter, shipped, n, batchSize, query); }
    public ModelSource batchSize(int n) { return new ModelSource(model, adapter, shipped, maxLength, n, query); }
    public ModelSource query(boolean q) { return new ModelSource(model, adapter, shipped, maxLength, batchSize, q); }

    /**
     * Sends the folders to every executor of {@code sc}: each is zipped (stored, not compressed:
     * weights do not shrink) and added as an archive, which Spark copies to each executor and
     * unpacks in its SparkFiles root before the executor's first task.
     */
    public ModelSource ship(SparkContext sc) {
        sc.addArchive(FolderZip.zip(Path.of(model)) + "#" + shippedName("model", model));
        if (adapter != null) sc.addArchive(FolderZip.zip(Path.of(adapter)) + "#" + shippedName("adapter", adapter));
        return new ModelSource(model, adapter, true, maxLength, batchSize, query);
    }

    private static String shippedName(String role, String folder) {
        return "embtune-" + role + "-" + Path.of(folder).getFileName();
    }

    /** What the vectors' metadata says about the model (its folder name, and the adapter's). */
    public String name() {
        return Path.of(model).getFileName() + (adapter == null ? "" : " + " + Path.of(adapter).getFileName());
    }

    /** The model's vector width and whether its vectors are unit length, read from its folder. */
    ModelDir dir() {
        return ModelDir.read(Path.of(model));
    }

    /** Loads the model in this JVM; on an executor, from the shipped copy when there is one. */
    Embedder load() {
        var opts = Embedder.Options.defaults().device("auto").batchSize(batchSize).maxLength(maxLength);
        Embedder m = Embedder.load(here("model", model), opts);
        if (adapter != null) {
            try {
                Adapter.load(m, here("adapter", adapter));
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        return m;
    }

    private Path here(String role, String folder) {
        Path p = shipped ? Path.of(SparkFiles.get(shippedName(role, folder))) : Path.of(folder);
        if (!Files.isDirectory(p))
            throw new embtune.model.ModelError(folder + ": this executor cannot read the model folder"
                    + (shipped ? " (its shipped copy is not at " + p + ")" : "; give a path every executor sees, or ship it (--ship_model true)"));
        return p;
    }

    @Override
    public String toString() {
        return name() + (shipped ? " (shipped to executors)" : " (read in place)");
    }
}
