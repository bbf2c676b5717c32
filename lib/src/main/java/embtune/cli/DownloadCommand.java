package embtune.cli;

import embtune.hub.Hub;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code download REPO [FILE...]} like {@code huggingface-cli download}: into the shared cache
 * (or --local_dir), resuming broken transfers and checking every file's hash. HF_ENDPOINT picks a
 * mirror, HF_TOKEN opens gated repositories, HF_HOME moves the cache.
 */
public final class DownloadCommand {
    private DownloadCommand() {}

    static Cli cli() {
        return new Cli("download", "download a model or data set repository from Hugging Face (or HF_ENDPOINT) or ModelScope")
                .positionals("REPO [FILE]", "repository id (org/name), then optional file names or patterns")
                .option("repo_type", "model", "model or dataset")
                .option("revision", null, "branch, tag or commit (default main on Hugging Face, master on ModelScope)")
                .option("hub", null, "huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("include", null, "glob patterns to download, comma-separated (e.g. *.json,*.safetensors)")
                .option("local_dir", null, "also place plain copies here");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> System.out.println(run(a)));
    }

    static Path run(Cli.Args a) {
        if (a.positionals().isEmpty()) throw new Cli.UsageError("give a repository id, e.g. sentence-transformers/all-MiniLM-L6-v2");
        String repo = a.positionals().get(0);
        List<String> include = new ArrayList<>(a.positionals().subList(1, a.positionals().size()));
        include.addAll(a.all("include"));
        Hub hub = Cli.hub(a);
        String revision = a.has("revision") ? a.get("revision") : hub.defaultRevision();
        return hub.download(Hub.RepoType.parse(a.get("repo_type")), repo, revision, include, a.has("local_dir") ? Path.of(a.get("local_dir")) : null);
    }
}
