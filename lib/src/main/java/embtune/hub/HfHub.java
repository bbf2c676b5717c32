package embtune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Downloads from a Hugging Face hub (or a mirror: {@code HF_ENDPOINT}) into huggingface_hub's
 * cache layout, so Python tools share the files:
 * <pre>
 * $HF_HOME/hub/models--org--name/blobs/ETAG                  the bytes, named by their hash
 * $HF_HOME/hub/models--org--name/snapshots/COMMIT/PATH       -> ../../blobs/ETAG
 * $HF_HOME/hub/models--org--name/refs/REVISION                the commit a branch or tag points to
 * </pre>
 * A transfer resumes from {@code blobs/ETAG.incomplete} with an HTTP Range request; a finished file
 * is checked against its size and hash (sha256 for LFS files, the git blob sha1 otherwise) before
 * it is renamed into place. {@code HF_TOKEN} is sent for gated and private repositories.
 */
public final class HfHub extends Hub {
    public HfHub(String endpoint, String token, Path cache) {
        super(endpoint, token, cache);
    }

    /** HF_ENDPOINT (default https://huggingface.co), HF_TOKEN, HF_HUB_CACHE or HF_HOME/hub (default ~/.cache/huggingface/hub). */
    public static HfHub fromEnvironment() {
        Map<String, String> env = System.getenv();
        String home = env.getOrDefault("HF_HOME", Path.of(System.getProperty("user.home"), ".cache", "huggingface").toString());
        String cache = env.getOrDefault("HF_HUB_CACHE", Path.of(home, "hub").toString());
        return new HfHub(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co"), env.get("HF_TOKEN"), Path.of(cache));
    }

    @Override
    public HfHub progressTo(PrintStream p) {
        super.progressTo(p);
        return this;
    }

    @Override
    public String defaultRevision() {
        return "main";
    }

    @Override
    protected String tokenVariable() {
        return "HF_TOKEN";
    }

    @Override
    protected String endpointVariable() {
        return "HF_ENDPOINT";
    }

    /** models--org--name under the cache. */
    public Path repoDir(RepoType type, String repo) {
        return cache.resolve(type.api + "--" + repo.replace("/", "--"));
    }

    /** The commit a revision (branch, tag or commit) points to. */
    public String commit(RepoType type, String repo, String revision) {
        JsonNode n = getJson(endpoint + "/api/" + type.api + "/" + repo + "/revision/" + encode(revision), what(type, repo, revision, null));
        String sha = n.path("sha").asText("");
        if (!COMMIT.matcher(sha).matches())
            throw new HubError(repo + "@" + revision + ": the hub's answer has no commit sha (40 hex digits), but '" + sha + "'");
        return sha;
    }

    /**
     * Every file at a commit: the tree API, recursive, following its {@code Link: <...>; rel="next"}
     * pages (the hub pages trees of more than 1000 entries).
     */
    public List<Entry> list(RepoType type, String repo, String commit) {
        List<Entry> out = new ArrayList<>();
        String url = endpoint + "/api/" + type.api + "/" + repo + "/tree/" + commit + "?recursive=true";
        for (int page = 0; url != null; page++) {
            if (page > 10_000) throw new HubError(repo + ": the tree listing does not end");
            Response r = get(url, what(type, repo, commit, null));
            JsonNode tree;
            try {
                tree = JSON.readTree(r.body());
            } catch (IOException e) {
                throw new HubError(repo + ": the hub's tree listing is not JSON: " + embtune.Json.problem(e));
            }
            for (JsonNode f : tree) {
                if (!"file".equals(f.path("type").asText())) continue;
                JsonNode lfs = f.get("lfs");
                out.add(new Entry(f.path("path").asText(""), lfs != null ? lfs.path("size").asLong(f.path("size").asLong()) : f.path("size").asLong(),
                        lfs != null ? lfs.path("oid").asText(null) : null, f.path("oid").asText(null)));
            }
            url = nextPage(r.header().apply("Link"));
        }
        return out;
    }

    static final java.util.regex.Pattern COMMIT = java.util.regex.Pattern.compile("[0-9a-f]{40}");

    /** A branch, tag or commit name becomes a file under refs/: it must stay there. */
    static void checkRevision(String repo, String revision) {
        boolean ok = !revision.isEmpty() && !revision.startsWith("/") && !revision.contains("\\") && !revision.contains("\0")
                && java.util.Arrays.stream(revision.split("/")).noneMatch(p -> p.isEmpty() || p.equals(".") || p.equals(".."))
                && revision.chars().noneMatch(ch -> ch < 0x20);
        if (!ok) throw new HubError(repo + ": '" + revision + "' is not a revision (a branch, tag or commit name)");
    }

    /** The rel="next" target of an RFC 8288 Link header, or null. */
    static String nextPage(String link) {
        if (link == null) return null;
        for (String part : link.split(",")) {
            String[] bits = part.split(";");
            if (bits.length < 2 || !bits[0].trim().startsWith("<")) continue;
            for (int i = 1; i < bits.length; i++)
                if (bits[i].trim().replace(" ", "").equalsIgnoreCase("rel=\"next\"")) return bits[0].trim().replaceAll("^<|>$", "");
        }
        return null;
    }

    /**
     * Downloads the files matching {@code include} globs (all when empty) at {@code revision} and
     * returns the snapshot folder (or {@code localDir}, when given, holding plain copies).
     */
    @Override
    public Path download(RepoType type, String repo, String revision, List<String> include, Path localDir) {
        checkRepoId(repo);
        checkRevision(repo, revision);
        String commit = commit(type, repo, revision);
        Path repoDir = repoDir(type, repo);
        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        List<PathMatcher> matchers = matchers(include);
        int n = 0;
        for (Entry e : list(type, repo, commit)) {
            Path rel = safeRelative(e.path(), repo);
            if (!included(matchers, rel)) continue;
            String etag = e.etag();
            if (etag == null || !etag.matches("[0-9a-f]{40}|[0-9a-f]{64}"))
                throw new HubError(repo + ": file " + e.path() + " has no usable hash (" + etag + ")");
            Path blob = repoDir.resolve("blobs").resolve(etag);
            String url = endpoint + "/" + type.urlPrefix + repo + "/resolve/" + commit + "/" + encodePath(e.path());
            fetch(url, e, repo, blob.resolveSibling(etag + ".incomplete"), blob, what(type, repo, commit, e.path()));
            link(snapshot.resolve(rel), blob);
            if (localDir != null) copy(blob, localDir.resolve(rel));
            n++;
        }
        if (n == 0) throw new HubError(repo + "@" + revision + ": no file matches " + include);
        writeRef(repoDir, revision, commit);
        return localDir != null ? localDir : snapshot;
    }

    /** The cached snapshot for a revision, if the ref and folder exist (no network). */
    @Override
    public Path cached(RepoType type, String repo, String revision) {
        checkRepoId(repo);
        checkRevision(repo, revision);
        Path repoDir = repoDir(type, repo);
        Path ref = repoDir.resolve("refs").resolve(revision);
        try {
            String commit = Files.exists(ref) ? Files.readString(ref).trim() : revision;
            if (!COMMIT.matcher(commit).matches()) return null; // a branch never downloaded, or a ref file not written by a hub client
            Path snap = repoDir.resolve("snapshots").resolve(commit);
            return Files.isDirectory(snap) ? snap : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void link(Path at, Path blob) {
        try {
            Files.createDirectories(at.getParent());
            Files.deleteIfExists(at);
            try {
                Files.createSymbolicLink(at, at.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(blob, at); // file systems without symlinks
            }
        } catch (IOException e) {
            throw new HubError("cannot place " + at + ": " + e.getMessage(), e);
        }
    }

    private static void copy(Path blob, Path to) {
        try {
            Files.createDirectories(to.getParent());
            Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new HubError("cannot write " + to + ": " + e.getMessage(), e);
        }
    }

    private static void writeRef(Path repoDir, String revision, String commit) {
        if (revision.equals(commit)) return;
        try {
            Path ref = repoDir.resolve("refs").resolve(revision);
            Files.createDirectories(ref.getParent());
            Files.writeString(ref, commit);
        } catch (IOException e) {
            throw new HubError("cannot write ref " + revision + ": " + e.getMessage(), e);
        }
    }


}
