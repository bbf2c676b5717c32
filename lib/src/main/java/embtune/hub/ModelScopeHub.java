package embtune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Downloads from ModelScope (as ms-swift does by default; here with {@code --hub modelscope} or
 * {@code USE_HF=0}) into the modelscope library's cache layout:
 * <pre>
 * $MODELSCOPE_CACHE/models/org/name/PATH       (default ~/.cache/modelscope/hub)
 * $MODELSCOPE_CACHE/datasets/org/name/PATH
 * </pre>
 * Its API (the one the modelscope SDK calls): models list files at
 * {@code /api/v1/models/ORG/NAME/repo/files?Revision=R&Recursive=True} and serve them at
 * {@code /api/v1/models/ORG/NAME/repo?Revision=R&FilePath=P}; data sets list a paged tree at
 * {@code /api/v1/datasets/ID/repo/tree} (ID from {@code /api/v1/datasets/ORG/NAME}) and serve
 * {@code /api/v1/datasets/ORG/NAME/repo?Source=SDK&Revision=R&FilePath=P}. Files carry a sha256,
 * checked before a partial file ({@code .embtune-partial/SHA.incomplete}, resumed with Range) is
 * renamed into place. {@code MODELSCOPE_DOMAIN} picks a site (default www.modelscope.cn),
 * {@code MODELSCOPE_API_TOKEN} is sent for private repositories. A revision's completed download
 * is recorded in {@code .embtune-revision}, so a pinned revision is not mistaken for another.
 */
public final class ModelScopeHub extends Hub {
    static final String MARKER = ".embtune-revision";
    static final int PAGE = 100;

    public ModelScopeHub(String endpoint, String token, Path cache) {
        super(endpoint, token, cache);
    }

    public static ModelScopeHub fromEnvironment() {
        Map<String, String> env = System.getenv();
        String domain = env.getOrDefault("MODELSCOPE_DOMAIN", "www.modelscope.cn");
        String endpoint = domain.startsWith("http") ? domain : "https://" + domain;
        String cache = env.getOrDefault("MODELSCOPE_CACHE", Path.of(System.getProperty("user.home"), ".cache", "modelscope", "hub").toString());
        return new ModelScopeHub(endpoint, env.get("MODELSCOPE_API_TOKEN"), Path.of(cache));
    }

    @Override
    public ModelScopeHub progressTo(java.io.PrintStream p) {
        super.progressTo(p);
        return this;
    }

    @Override
    public String defaultRevision() {
        return "master";
    }

    @Override
    protected String tokenVariable() {
        return "MODELSCOPE_API_TOKEN";
    }

    @Override
    protected String endpointVariable() {
        return "MODELSCOPE_DOMAIN";
    }

    public Path repoDir(RepoType type, String repo) {
        return cache.resolve(type.api).resolve(repo);
    }

    /** Every file of a repository at a revision, with size and sha256. */
    public List<Entry> list(RepoType type, String repo, String revision) {
        List<Entry> out = new ArrayList<>();
        String what = what(type, repo, revision, null);
        if (type == RepoType.MODEL) {
            JsonNode r = getJson(endpoint + "/api/v1/models/" + repo + "/repo/files?Revision=" + encode(revision) + "&Recursive=True", what);
            addFiles(ok(r, what).path("Files"), out);
            return out;
        }
        JsonNode info = ok(getJson(endpoint + "/api/v1/datasets/" + repo, what), what);
        if (!info.hasNonNull("Id")) throw new HubError(what + ": ModelScope's answer has no data set Id");
        String id = info.get("Id").asText();
        for (int page = 1; ; page++) {
            JsonNode r = getJson(endpoint + "/api/v1/datasets/" + encode(id) + "/repo/tree?Revision=" + encode(revision)
                    + "&Root=%2F&Recursive=True&PageNumber=" + page + "&PageSize=" + PAGE, what);
            JsonNode files = ok(r, what).path("Files");
            addFiles(files, out);
            if (files.size() < PAGE || page > 10_000) return out;
        }
    }

    /** ModelScope wraps answers as {"Code": 200, "Data": ..., "Message": ...}. */
    private static JsonNode ok(JsonNode r, String what) {
        int code = r.path("Code").asInt(200);
        if (code != 200 && code != 0) throw new HubError(what + ": ModelScope says " + code + " " + r.path("Message").asText(""));
        return r.path("Data");
    }

    private static void addFiles(JsonNode files, List<Entry> out) {
        for (JsonNode f : files) {
            if (!"blob".equals(f.path("Type").asText())) continue;
            String name = f.path("Path").asText(f.path("Name").asText());
            if (name.equals(".gitignore") || name.equals(".gitattributes")) continue;
            out.add(new Entry(name, f.path("Size").asLong(), f.path("Sha256").asText(null), null));
        }
    }

    @Override
    public Path download(RepoType type, String repo, String revision, List<String> include, Path localDir) {
        checkRepoId(repo);
        Path dir = localDir != null ? localDir : repoDir(type, repo);
        List<PathMatcher> matchers = matchers(include);
        int n = 0;
        for (Entry e : list(type, repo, revision)) {
            Path rel = safeRelative(e.path(), repo);
            if (!included(matchers, rel)) continue;
            if (e.sha256() == null || !e.sha256().matches("[0-9a-f]{64}"))
                throw new HubError(repo + ": file " + e.path() + " has no sha256 to check it against");
            Path target = dir.resolve(rel);
            if (Files.exists(target) && !matches(target, e)) delete(target); // another revision's file
            String url = type == RepoType.MODEL
                    ? endpoint + "/api/v1/models/" + repo + "/repo?Revision=" + encode(revision) + "&FilePath=" + encode(e.path())
                    : endpoint + "/api/v1/datasets/" + repo + "/repo?Source=SDK&Revision=" + encode(revision) + "&FilePath=" + encode(e.path());
            fetch(url, e, repo, dir.resolve(".embtune-partial").resolve(e.sha256() + ".incomplete"), target, what(type, repo, revision, e.path()));
            n++;
        }
        if (n == 0) throw new HubError(repo + "@" + revision + ": no file matches " + include);
        try {
            Files.writeString(dir.resolve(MARKER), revision);
        } catch (IOException ex) {
            throw new HubError("cannot write " + dir.resolve(MARKER) + ": " + ex.getMessage(), ex);
        }
        return dir;
    }

    @Override
    public Path cached(RepoType type, String repo, String revision) {
        Path dir = repoDir(type, repo);
        try {
            Path marker = dir.resolve(MARKER);
            return Files.exists(marker) && Files.readString(marker).trim().equals(revision) ? dir : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean matches(Path file, Entry e) {
        try {
            return Files.size(file) == e.size() && hash("SHA-256", null, file).equals(e.sha256());
        } catch (IOException ex) {
            return false;
        }
    }

    private static void delete(Path p) {
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw new HubError("cannot replace " + p + ": " + e.getMessage(), e);
        }
    }
}
