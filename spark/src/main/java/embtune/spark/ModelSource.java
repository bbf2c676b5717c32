package embtune.spark;

import embtune.cli.ModelArgs;
import embtune.lora.Adapter;
import embtune.model.Embedder;
import embtune.model.ModelDir;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Which model every executor loads, as a small serializable value the driver hands to tasks: a
 * model folder, optionally a PEFT adapter folder on it, and the load options. The folders are
 * either read where they are (a path every executor sees: local mode, a shared mount) or shipped:
 * zipped and broadcast, and unpacked once by each executor. (A broadcast reaches every executor of
 * any job; files added with SparkContext.addFile or addArchive are tied to the session that
 * added them, which a SQL job's tasks need not share.)
 */
public record ModelSource(String model, String adapter, Broadcast<byte[]> modelZip, Broadcast<byte[]> adapterZip,
                          Integer maxLength, int batchSize, boolean query) implements Serializable {

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
                f.adapter() == null ? null : f.adapter().toAbsolutePath().normalize().toString(), null, null, null, 32, false);
    }

    public ModelSource maxLength(Integer n) { return new ModelSource(model, adapter, modelZip, adapterZip, n, batchSize, query); }
    public ModelSource batchSize(int n) { return new ModelSource(model, adapter, modelZip, adapterZip, maxLength, n, query); }
    public ModelSource query(boolean q) { return new ModelSource(model, adapter, modelZip, adapterZip, maxLength, batchSize, q); }

    public boolean shipped() {
        return modelZip != null;
    }

    /**
     * Identifies the model an executor holds: the same folders, shipment and options load the same
     * model (a deserialized broadcast is a new object, its id is not).
     */
    String key() {
        return model + "|" + adapter + "|" + (shipped() ? modelZip.id() : -1) + "|" + maxLength + "|" + batchSize;
    }

    /** Sends the folders to every executor: zipped, broadcast, unpacked by each executor before it loads the model. */
    public ModelSource ship(SparkContext sc) {
        var jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(sc);
        return new ModelSource(model, adapter, jsc.broadcast(FolderZip.zip(Path.of(model))),
                adapter == null ? null : jsc.broadcast(FolderZip.zip(Path.of(adapter))), maxLength, batchSize, query);
    }

    /** What the vectors' metadata says about the model (its folder name, and the adapter's). */
    public String name() {
        return Path.of(model).getFileName() + (adapter == null ? "" : " + " + Path.of(adapter).getFileName());
    }

    /** The model's vector width and whether its vectors are unit length, read from its folder. */
    ModelDir dir() {
        return ModelDir.read(Path.of(model));
    }

    /** Loads the model in this JVM; on an executor, from its unpacked copy when the folders were shipped. */
    Embedder load() {
        var opts = Embedder.Options.defaults().device("auto").batchSize(batchSize).maxLength(maxLength);
        Embedder m = Embedder.load(here(model, modelZip), opts);
        if (adapter != null) {
            try {
                Adapter.load(m, here(adapter, adapterZip));
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        return m;
    }

    private static Path here(String folder, Broadcast<byte[]> zip) {
        if (zip != null) return FolderZip.unzip(zip.value(), Path.of(folder).getFileName().toString());
        Path p = Path.of(folder);
        if (!Files.isDirectory(p))
            throw new embtune.ModelError(folder + ": this executor cannot read the model folder;"
                    + " give a path every executor sees, or ship it (--ship_model true)");
        return p;
    }

    @Override
    public String toString() {
        return name() + (shipped() ? " (shipped to executors)" : " (read in place)");
    }
}
