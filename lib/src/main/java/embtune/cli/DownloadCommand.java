package embtune.cli;

import embtune.hub.HfHub;
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
        return new Cli("download", "download a model or data set repository from the Hugging Face hub (or HF_ENDPOINT)")
                .positionals("REPO [FILE]", "repository id (org/name), then optional file names or patterns")
                .option("repo_type", "model", "model or dataset")
                .option("revision", "main", "branch, tag or commit")
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
        return HfHub.fromEnvironment().download(HfHub.RepoType.parse(a.get("repo_type")), repo, a.get("revision"), include,
                a.has("local_dir") ? Path.of(a.get("local_dir")) : null);
    }
}
