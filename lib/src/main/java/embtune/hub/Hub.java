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
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * A model/data set hub: Hugging Face ({@link HfHub}, the default) or ModelScope
 * ({@link ModelScopeHub}). Both share the transfer rules here: a file downloads into a
 * {@code .incomplete} partial that an HTTP Range request resumes, is checked against its size and
 * hash, and is renamed into place only then; file names from the hub never leave their folder.
 */
public abstract class Hub {
    public enum RepoType {
        MODEL("models", ""), DATASET("datasets", "datasets/");

        final String api, urlPrefix;

        RepoType(String api, String urlPrefix) {
            this.api = api;
            this.urlPrefix = urlPrefix;
        }

        public static RepoType parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "model", "models" -> MODEL;
                case "dataset", "datasets" -> DATASET;
                default -> throw new IllegalArgumentException("repo type must be model or dataset, not " + s);
            };
        }
    }

    /** One file of a repository at a commit: its size and the hash it is checked against. */
    public record Entry(String path, long size, String sha256, String gitSha1) {
        String etag() {
            return sha256 != null ? sha256 : gitSha1;
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    protected final String endpoint;
    protected final String token;
    protected final Path cache;
    protected final HttpClient http;
    protected PrintStream progress = System.err;

    protected Hub(String endpoint, String token, Path cache) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.token = token == null || token.isBlank() ? null : token;
        this.cache = cache;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /**
     * The hub a command uses: {@code name} (huggingface/hf or modelscope/ms) when given, else
     * ModelScope when {@code USE_HF} is 0/false (ms-swift's switch), else Hugging Face.
     */
    public static Hub fromEnvironment(String name) {
        if ((name == null || name.isBlank()) && chosenHub != null) return chosenHub;
        if (name == null || name.isBlank()) name = chosen;
        String n = name == null || name.isBlank() ? null : name.toLowerCase(Locale.ROOT);
        if (n == null) {
            String useHf = System.getenv("USE_HF");
            n = useHf != null && (useHf.equals("0") || useHf.equalsIgnoreCase("false")) ? "modelscope" : "huggingface";
        }
        return switch (n) {
            case "huggingface", "hf" -> HfHub.fromEnvironment();
            case "modelscope", "ms" -> ModelScopeHub.fromEnvironment();
            default -> throw new IllegalArgumentException("unknown hub '" + name + "'; choose huggingface or modelscope");
        };
    }

    private static volatile String chosen;
    private static volatile Hub chosenHub;

    /** A configured hub (another endpoint or cache) every id in this process resolves against; null to undo. */
    public static void useByDefault(Hub hub) {
        chosenHub = hub;
    }

    /** A command's {@code --hub}: the hub every id in this process resolves against (null: back to USE_HF). */
    public static void useByDefault(String name) {
        if (name != null && !name.isBlank()) fromEnvironment(name); // fail early on an unknown name
        chosen = name;
    }

    /** Hugging Face or ModelScope, per --hub or USE_HF. */
    public static Hub fromEnvironment() {
        return fromEnvironment(null);
    }

    /** The files matching {@code include} globs (all when empty) at {@code revision}; returns their folder. */
    public abstract Path download(RepoType type, String repo, String revision, List<String> include, Path localDir);

    /** The complete local folder for a revision if it is cached (no network), else null. */
    public abstract Path cached(RepoType type, String repo, String revision);

    /** "main" on Hugging Face, "master" on ModelScope. */
    public abstract String defaultRevision();

    /** The variable a token goes in, for error messages. */
    protected abstract String tokenVariable();

    /** The variable that points at a mirror, for error messages. */
    protected abstract String endpointVariable();

    public Hub progressTo(PrintStream p) {
        progress = p;
        return this;
    }

    public Path cache() {
        return cache;
    }

    // ---- transfer ---------------------------------------------------------------------------

    /**
     * Downloads {@code url} to {@code target}: into {@code part} first (resumed with Range when
     * it exists), verified, then renamed. Existing targets are kept.
     */
    protected void fetch(String url, Entry e, String repo, Path part, Path target, String what) {
        if (Files.exists(target)) return;
        try {
            Files.createDirectories(part.getParent());
            Files.createDirectories(target.getParent());
            long have = Files.exists(part) ? Files.size(part) : 0;
            if (have > e.size()) {
                Files.delete(part);
                have = 0;
            }
            if (have < e.size() || !Files.exists(part)) {
                HttpRequest.Builder req = request(url);
                if (have > 0) req.header("Range", "bytes=" + have + "-");
                HttpResponse<InputStream> r = http.send(req.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                check(r.statusCode(), url, what);
                boolean resumed = r.statusCode() == 206;
                try (InputStream in = r.body();
                     OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                             resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                    copyWithProgress(in, out, e.path(), resumed ? have : 0, e.size());
                }
            }
            verify(part, e, repo);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new HubError(repo + ": download of " + e.path() + " broke off (" + why(ex) + "); run again to resume", ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new HubError("interrupted while downloading " + e.path() + "; run again to resume");
        }
    }

    static List<PathMatcher> matchers(List<String> include) {
        return include.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
    }

    static boolean included(List<PathMatcher> matchers, Path rel) {
        return matchers.isEmpty() || matchers.stream().anyMatch(m -> m.matches(rel) || m.matches(rel.getFileName()));
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

    /** Copies with a progress bar on the progress stream: name [=====>    ]  45%  120.3/265.1 MB  12.3 MB/s. */
    protected void copyWithProgress(InputStream in, OutputStream out, String name, long start, long total) throws IOException {
        byte[] buf = new byte[1 << 16];
        long done = start, lastShown = -1, t0 = System.nanoTime();
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            done += n;
            if (progress != null && (done - lastShown > (4 << 20) || done == total)) {
                lastShown = done;
                progress.print("\r" + bar(name, done, total, done - start, (System.nanoTime() - t0) / 1e9));
                if (done == total) progress.println();
            }
        }
    }

    static String bar(String name, long done, long total, long fetched, double seconds) {
        int width = 24, filled = total <= 0 ? width : (int) Math.min(width, width * done / total);
        String arrow = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        double mb = 1 << 20;
        return String.format(Locale.ROOT, "%s [%s] %3.0f%%  %.1f/%.1f MB  %.1f MB/s", name, arrow,
                total <= 0 ? 100.0 : 100.0 * done / total, done / mb, total / mb, seconds > 0 ? fetched / mb / seconds : 0.0);
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

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("/")) sb.append(sb.length() == 0 ? "" : "/").append(encode(part).replace("+", "%20"));
        return sb.toString();
    }
    protected JsonNode getJson(String url, String what) {
        try {
            return JSON.readTree(get(url, what).body());
        } catch (IOException e) {
            throw new HubError(what + ": the hub's answer is not JSON (" + why(e) + ")", e);
        }
    }

    /** A GET whose status was checked; connection problems become a HubError naming the mirror variable. */
    protected HttpResponse<byte[]> get(String url, String what) {
        try {
            HttpResponse<byte[]> r = http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            check(r.statusCode(), url, what);
            return r;
        } catch (IOException e) {
            throw new HubError("cannot reach " + endpoint + " (" + why(e) + "); set " + endpointVariable() + " for a mirror", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubError("interrupted while asking " + url);
        }
    }

    protected HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).header("User-Agent", "embtune");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    protected void check(int status, String url, String what) {
        if (status == 200 || status == 206) return;
        if (status == 401 || status == 403)
            throw new HubError(what + ": access denied (HTTP " + status + "); a gated or private repository needs " + tokenVariable()
                    + (token == null ? " (none is set)" : " with access to it"));
        if (status == 404) throw new HubError(what + ": not found (HTTP 404) at " + endpoint + "; check the id and revision");
        throw new HubError(what + ": HTTP " + status + " from " + url);
    }

    /** An I/O failure in words: its message, or its kind when it has none (a refused connection). */
    static String why(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    static String what(RepoType type, String repo, String rev, String file) {
        return type.name().toLowerCase(Locale.ROOT) + " " + repo + "@" + rev + (file == null ? "" : " file " + file);
    }
}
