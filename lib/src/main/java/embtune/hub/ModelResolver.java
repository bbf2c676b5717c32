package embtune.hub;

import embtune.Log;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --model} as ms-swift takes it: a local folder, else a hub id ({@code org/name}, optionally
 * {@code org/name@revision}) found in the cache, else downloaded. Only the files embtune reads are
 * fetched (configs, safetensors, tokenizer and sentence-transformers files), never pickles.
 */
public final class ModelResolver {
    static final List<String> MODEL_FILES = List.of("*.json", "*.safetensors", "*.txt", "*.model");

    private ModelResolver() {}

    public static Path resolve(String spec) {
        return resolve(spec, null);
    }

    /** @param hub the hub to ask (null: Hugging Face, or ModelScope when USE_HF=0, configured from the environment) */
    public static Path resolve(String spec, Hub hub) {
        Path local = Path.of(spec);
        if (Files.isDirectory(local)) return local;
        var known = embtune.onnx.Langchain4jModel.named(spec);
        if (known != null) return DefaultModel.imported(known); // by name, with nothing but Maven Central
        if (hub == null) hub = Hub.fromEnvironment();
        String repo = spec, revision = hub.defaultRevision();
        int at = spec.lastIndexOf('@');
        if (at > 0) {
            repo = spec.substring(0, at);
            revision = spec.substring(at + 1);
        }
        if (!repo.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+"))
            throw new HubError(spec + ": no such folder, and not a hub id like org/name");
        Path cached = hub.cached(Hub.RepoType.MODEL, repo, revision);
        if (cached != null && Files.exists(cached.resolve("config.json"))) return cached;
        Log.info("downloading " + repo + "@" + revision + " into " + hub.cache());
        return hub.download(Hub.RepoType.MODEL, repo, revision, MODEL_FILES, null);
    }
}
