package embtune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.HttpURLConnection;
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
    protected PrintStream progress = embtune.Log.lines(); // finished lines only; the commands show the live bar on stderr
    private Duration timeout = timeoutFromEnvironment();
    private int tries = 5;
    private Duration backoff = Duration.ofSeconds(1);

    protected Hub(String endpoint, String token, Path cache) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.token = token == null || token.isBlank() ? null : token;
        this.cache = cache;
    }

    /**
     * How long to wait for a connection, and for the next bytes of an answer, before giving up on
     * a silent server: {@code HF_HUB_DOWNLOAD_TIMEOUT} seconds, as huggingface_hub reads it (10).
     */
    static Duration timeoutFromEnvironment() {
        String v = System.getenv("HF_HUB_DOWNLOAD_TIMEOUT");
        try {
            return v == null || v.isBlank() ? Duration.ofSeconds(10) : Duration.ofMillis((long) (Double.parseDouble(v.trim()) * 1000));
        } catch (NumberFormatException e) {
            throw new HubError("HF_HUB_DOWNLOAD_TIMEOUT='" + v + "' is not a number of seconds");
        }
    }

    /** Connect and idle-read timeout (default HF_HUB_DOWNLOAD_TIMEOUT, else 10 s). */
    public Hub timeout(Duration t) {
        timeout = t;
        return this;
    }

    /** A file transfer that breaks off is resumed up to {@code tries} times in all, waiting backoff, 2x, 4x... between. */
    public Hub retries(int tries, Duration backoff) {
        this.tries = Math.max(1, tries);
        this.backoff = backoff;
        return this;
    }

    /**
     * The hub a command uses: {@code name} (huggingface/hf or modelscope/ms) when given, else
     * ModelScope when {@code USE_HF} is 0/false (ms-swift's switch), else Hugging Face; each
     * configured from its environment variables (endpoint, token, cache).
     */
    public static Hub named(String name) {
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

    /** Hugging Face, or ModelScope when USE_HF=0. */
    public static Hub fromEnvironment() {
        return named(null);
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
        for (int attempt = 1; ; attempt++) {
            try {
                transfer(url, e, part, what);
                break;
            } catch (IOException ex) {
                if (attempt >= tries)
                    throw new HubError(repo + ": download of " + e.path() + " broke off " + tries + " times (" + why(ex) + "); run again to resume", ex);
                if (progress != null) progress.println(e.path() + ": transfer broke off (" + why(ex) + "); resuming, try " + (attempt + 1) + " of " + tries);
                sleep(backoff.multipliedBy(1L << Math.min(attempt - 1, 5)));
            }
        }
        try {
            verify(part, e, repo);
            Files.createDirectories(target.getParent());
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new HubError(repo + ": cannot place " + e.path() + " (" + why(ex) + ")", ex);
        }
    }

    /**
     * One try: ask for the bytes the partial file lacks (Range), append them, and never write past
     * the size the listing gave (a server that sends more is refused, not believed).
     */
    private void transfer(String url, Entry e, Path part, String what) throws IOException {
        Files.createDirectories(part.getParent());
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (have > e.size()) {
            Files.delete(part);
            have = 0;
        }
        if (have == e.size() && Files.exists(part)) return;
        HttpURLConnection c = open(url);
        if (have > 0) c.setRequestProperty("Range", "bytes=" + have + "-");
        check(status(c), url, what);
        boolean resumed = c.getResponseCode() == 206;
        long start = resumed ? have : 0;
        try (InputStream in = c.getInputStream();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            copyWithProgress(in, out, e.path(), start, e.size());
        } catch (TooLarge tooLarge) {
            Files.deleteIfExists(part);
            throw new HubError(what + ": the server sent more than the " + e.size() + " bytes its listing gives; the partial file was removed");
        }
        if (Files.size(part) < e.size()) throw new IOException("connection closed at " + Files.size(part) + " of " + e.size() + " bytes");
    }

    private static final class TooLarge extends IOException {
        TooLarge() { super(null, null); }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new HubError("interrupted while waiting to resume a download; run again to resume");
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

    /** Copies at most {@code total - start} bytes with a progress bar: name [=====>    ]  45%  120.3/265.1 MB  12.3 MB/s. */
    protected void copyWithProgress(InputStream in, OutputStream out, String name, long start, long total) throws IOException {
        byte[] buf = new byte[1 << 16];
        long done = start, lastShown = -1, t0 = System.nanoTime();
        for (int n; (n = in.read(buf)) > 0; ) {
            if (done + n > total) throw new TooLarge();
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

    /** A finished small answer: status, body and the headers a caller reads (Link). */
    protected record Response(int status, byte[] body, java.util.function.Function<String, String> header) {}

    /** A GET whose status was checked; connection problems become a HubError naming the mirror variable. */
    protected Response get(String url, String what) {
        try {
            HttpURLConnection c = open(url);
            check(status(c), url, what);
            try (InputStream in = c.getInputStream()) {
                return new Response(c.getResponseCode(), in.readAllBytes(), c::getHeaderField);
            }
        } catch (IOException e) {
            throw new HubError("cannot reach " + endpoint + " (" + why(e) + "); set " + endpointVariable() + " for a mirror", e);
        }
    }

    /** A GET with connect and idle-read timeouts, the token, and redirects followed. */
    protected HttpURLConnection open(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout((int) Math.max(1, timeout.toMillis()));
        c.setReadTimeout((int) Math.max(1, timeout.toMillis()));
        c.setInstanceFollowRedirects(true);
        c.setRequestProperty("User-Agent", "embtune");
        if (token != null) c.setRequestProperty("Authorization", "Bearer " + token);
        return c;
    }

    /** The status code; a silent server is named as such. */
    private int status(HttpURLConnection c) throws IOException {
        try {
            return c.getResponseCode();
        } catch (java.net.SocketTimeoutException e) {
            throw new java.net.SocketTimeoutException("no answer within " + timeout.toMillis() / 1000.0 + " s (HF_HUB_DOWNLOAD_TIMEOUT)");
        }
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
