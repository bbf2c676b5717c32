package embtune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
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
public final class HfHub {
    public enum RepoType {
        MODEL("models", ""), DATASET("datasets", "datasets/");

        final String api, urlPrefix;

        RepoType(String api, String urlPrefix) {
            this.api = api;
            this.urlPrefix = urlPrefix;
        }

        public static RepoType parse(String s) {
            return switch (s.toLowerCase()) {
                case "model", "models" -> MODEL;
                case "dataset", "datasets" -> DATASET;
                default -> throw new IllegalArgumentException("repo type must be model or dataset, not " + s);
            };
        }
    }

    /** One file of a repository at a commit: its size and the hash its blob is named by. */
    public record Entry(String path, long size, String sha256, String gitSha1) {
        String etag() {
            return sha256 != null ? sha256 : gitSha1;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String endpoint;
    private final String token;
    private final Path cache;
    private final HttpClient http;
    private PrintStream progress = System.err;

    public HfHub(String endpoint, String token, Path cache) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.token = token == null || token.isBlank() ? null : token;
        this.cache = cache;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** HF_ENDPOINT (default https://huggingface.co), HF_TOKEN, HF_HUB_CACHE or HF_HOME/hub (default ~/.cache/huggingface/hub). */
    public static HfHub fromEnvironment() {
        Map<String, String> env = System.getenv();
        String home = env.getOrDefault("HF_HOME", Path.of(System.getProperty("user.home"), ".cache", "huggingface").toString());
        String cache = env.getOrDefault("HF_HUB_CACHE", Path.of(home, "hub").toString());
        return new HfHub(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co"), env.get("HF_TOKEN"), Path.of(cache));
    }

    public HfHub progressTo(PrintStream p) {
        progress = p;
        return this;
    }

    public Path cache() {
        return cache;
    }

    /** models--org--name under the cache. */
    public Path repoDir(RepoType type, String repo) {
        return cache.resolve(type.api + "--" + repo.replace("/", "--"));
    }

    /** The commit a revision (branch, tag or commit) points to. */
    public String commit(RepoType type, String repo, String revision) {
        JsonNode n = getJson(endpoint + "/api/" + type.api + "/" + repo + "/revision/" + encode(revision), type, repo, revision);
        if (!n.hasNonNull("sha")) throw new HubError(repo + "@" + revision + ": the hub's answer has no commit sha");
        return n.get("sha").asText();
    }

    /** Every file at a commit (the tree API, recursive). */
    public List<Entry> list(RepoType type, String repo, String commit) {
        List<Entry> out = new ArrayList<>();
        JsonNode tree = getJson(endpoint + "/api/" + type.api + "/" + repo + "/tree/" + commit + "?recursive=true", type, repo, commit);
        for (JsonNode f : tree) {
            if (!"file".equals(f.path("type").asText())) continue;
            JsonNode lfs = f.get("lfs");
            out.add(new Entry(f.get("path").asText(), lfs != null ? lfs.path("size").asLong(f.path("size").asLong()) : f.path("size").asLong(),
                    lfs != null ? lfs.path("oid").asText(null) : null, f.path("oid").asText(null)));
        }
        return out;
    }

    /**
     * Downloads the files matching {@code include} globs (all when empty) at {@code revision} and
     * returns the snapshot folder (or {@code localDir}, when given, holding plain copies).
     */
    public Path download(RepoType type, String repo, String revision, List<String> include, Path localDir) {
        checkRepoId(repo);
        String commit = commit(type, repo, revision);
        Path repoDir = repoDir(type, repo);
        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        List<PathMatcher> matchers = include.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
        int n = 0;
        for (Entry e : list(type, repo, commit)) {
            Path rel = safeRelative(e.path(), repo);
            if (!matchers.isEmpty() && matchers.stream().noneMatch(m -> m.matches(rel) || m.matches(rel.getFileName()))) continue;
            Path blob = fetchBlob(type, repo, commit, e, repoDir);
            link(snapshot.resolve(rel), blob);
            if (localDir != null) copy(blob, localDir.resolve(rel));
            n++;
        }
        if (n == 0) throw new HubError(repo + "@" + revision + ": no file matches " + include);
        writeRef(repoDir, revision, commit);
        return localDir != null ? localDir : snapshot;
    }

    /** The cached snapshot for a revision, if the ref and folder exist (no network). */
    public Path cached(RepoType type, String repo, String revision) {
        Path repoDir = repoDir(type, repo);
        Path ref = repoDir.resolve("refs").resolve(revision);
        try {
            String commit = Files.exists(ref) ? Files.readString(ref).trim() : revision;
            Path snap = repoDir.resolve("snapshots").resolve(commit);
            return Files.isDirectory(snap) ? snap : null;
        } catch (IOException e) {
            return null;
        }
    }

    private Path fetchBlob(RepoType type, String repo, String commit, Entry e, Path repoDir) {
        String etag = e.etag();
        if (etag == null || !etag.matches("[0-9a-f]{40}|[0-9a-f]{64}"))
            throw new HubError(repo + ": file " + e.path() + " has no usable hash (" + etag + ")");
        Path blobs = repoDir.resolve("blobs");
        Path blob = blobs.resolve(etag), part = blobs.resolve(etag + ".incomplete");
        if (Files.exists(blob)) return blob;
        try {
            Files.createDirectories(blobs);
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (have > e.size()) {
                Files.delete(part);
                have = 0;
            }
            String url = endpoint + "/" + type.urlPrefix + repo + "/resolve/" + commit + "/" + encodePath(e.path());
            if (have < e.size()) {
                HttpRequest.Builder req = request(url);
                if (have > 0) req.header("Range", "bytes=" + have + "-");
                HttpResponse<InputStream> r = http.send(req.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                check(r.statusCode(), url, type, repo, commit, e.path());
                boolean resumed = r.statusCode() == 206;
                try (InputStream in = r.body();
                     OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                             resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                    copyWithProgress(in, out, e.path(), resumed ? have : 0, e.size());
                }
            }
            verify(part, e, repo);
            Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE);
            return blob;
        } catch (IOException ex) {
            throw new HubError(repo + ": download of " + e.path() + " broke off (" + ex.getMessage() + "); run again to resume", ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new HubError("interrupted while downloading " + e.path() + "; run again to resume");
        }
    }

    /** Size, then sha256 (LFS) or the git blob sha1: a mismatch removes the partial file. */
    static void verify(Path file, Entry e, String repo) throws IOException {
        long size = Files.size(file);
        String problem = null;
        if (size != e.size()) problem = "size " + size + " instead of " + e.size();
        else {
            String got = e.sha256() != null ? hash("SHA-256", null, file) : hash("SHA-1", "blob " + size + "\0", file);
            if (!got.equals(e.etag())) problem = (e.sha256() != null ? "sha256 " : "git sha1 ") + got + " instead of " + e.etag();
        }
        if (problem != null) {
            Files.deleteIfExists(file);
            throw new HubError(repo + ": " + e.path() + " arrived corrupted (" + problem + "); the partial file was removed");
        }
    }

    static String hash(String algorithm, String prefix, Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) md.update(prefix.getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void copyWithProgress(InputStream in, OutputStream out, String name, long start, long total) throws IOException {
        byte[] buf = new byte[1 << 16];
        long done = start, lastShown = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            done += n;
            if (progress != null && (done - lastShown > (8 << 20) || done == total)) {
                lastShown = done;
                progress.printf("\r%s  %,d / %,d bytes (%.0f%%)", name, done, total, total == 0 ? 100.0 : 100.0 * done / total);
                if (done == total) progress.println();
            }
        }
    }

    private JsonNode getJson(String url, RepoType type, String repo, String rev) {
        try {
            HttpResponse<byte[]> r = http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            check(r.statusCode(), url, type, repo, rev, null);
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new HubError("cannot reach " + endpoint + " (" + e.getMessage() + "); set HF_ENDPOINT for a mirror", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubError("interrupted while asking " + url);
        }
    }

    private HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).header("User-Agent", "embtune");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private void check(int status, String url, RepoType type, String repo, String rev, String file) {
        if (status == 200 || status == 206) return;
        String what = type.name().toLowerCase() + " " + repo + "@" + rev + (file == null ? "" : " file " + file);
        if (status == 401 || status == 403)
            throw new HubError(what + ": access denied (HTTP " + status + "); a gated or private repository needs HF_TOKEN"
                    + (token == null ? " (none is set)" : " with access to it"));
        if (status == 404) throw new HubError(what + ": not found (HTTP 404) at " + endpoint + "; check the id and revision");
        throw new HubError(what + ": HTTP " + status + " from " + url);
    }

    /** Repository file names are relative and stay inside the repository folder. */
    static Path safeRelative(String name, String repo) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0"))
            throw new HubError(repo + ": refusing file name '" + name + "' (absolute or not a plain relative path)");
        Path p = Path.of(name).normalize();
        if (p.isAbsolute() || p.startsWith("..") || !p.toString().equals(name))
            throw new HubError(repo + ": refusing file name '" + name + "', which would land outside the target folder");
        return p;
    }

    static void checkRepoId(String repo) {
        if (!repo.matches("[A-Za-z0-9][\\w.-]*(/[\\w.-]+)?") || repo.contains(".."))
            throw new HubError("'" + repo + "' is not a repository id like org/name");
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

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("/")) sb.append(sb.length() == 0 ? "" : "/").append(encode(part).replace("+", "%20"));
        return sb.toString();
    }
}
