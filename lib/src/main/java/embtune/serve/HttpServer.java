package embtune.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 server for a JSON API: one thread accepts, one thread per connection reads and
 * writes, and the handler's work (the model) runs elsewhere, so a slow or silent client holds one
 * connection thread for at most its timeouts and never the model.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}: its read timeouts are JVM-wide system
 * properties read once, it has no hook before a request is read (so no per-client cap), and it
 * answers malformed framing (a bad Content-Length) with its own HTML page. Every limit here is
 * per server and every refusal is an {@link ApiError} (OpenAI's JSON error object).
 *
 * <p>Every read has a deadline: the request line and headers must arrive within
 * {@code headerTimeoutMs} of the connection opening (or of their first byte on a kept-alive
 * connection, which may idle {@code idleTimeoutMs} between requests), the body within
 * {@code bodyTimeoutMs}; a deadline is a total, so a client dripping a byte a second gains nothing.
 * Writes that a client does not read are cut after {@code writeTimeoutMs}.
 */
final class HttpServer implements AutoCloseable {
    /** Timeouts in milliseconds, caps in connections and bytes. */
    record Limits(int headerTimeoutMs, int bodyTimeoutMs, int idleTimeoutMs, int writeTimeoutMs,
                  int maxConnections, int maxConnectionsPerClient, int maxHeaderBytes, int maxBodyBytes) {}

    record Request(String method, String path, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    record Response(int status, byte[] body, Map<String, String> headers) {
        static Response json(int status, byte[] body) {
            return new Response(status, body, Map.of());
        }
    }

    interface Handler {
        /** The answer to one complete request; an {@link ApiError} becomes its error response. */
        Response handle(Request request);
    }

    /** What a connection is doing: an IDLE one (waiting for a request's first byte) holds no request and may be closed at once. */
    private enum State { IDLE, BUSY }

    private final ServerSocket listener;
    private final Limits limits;
    private final Handler handler;
    private final java.util.function.Function<ApiError, byte[]> errorBody;
    private final ThreadPoolExecutor connections;
    private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1, daemon("embtune-http-watchdog"));
    private final Map<Socket, State> open = new ConcurrentHashMap<>();
    private final Map<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final Thread acceptor;
    private volatile boolean draining;

    HttpServer(String host, int port, Limits limits, Handler handler, java.util.function.Function<ApiError, byte[]> errorBody) throws IOException {
        this.limits = limits;
        this.handler = handler;
        this.errorBody = errorBody;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(host, port), 512);
        // one thread per open connection, created on demand and never queued: accept() refuses past maxConnections first
        this.connections = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon("embtune-http-conn"));
        watchdog.setRemoveOnCancelPolicy(true); // a write's cut is cancelled on almost every write
        this.acceptor = daemon("embtune-http-accept").newThread(this::acceptLoop);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Open connections (for tests and the drain). */
    int connections() {
        return open.size();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                continue; // closed (the loop ends) or a transient accept failure
            }
            InetAddress client = s.getInetAddress();
            int mine = perClient.merge(client, 1, Integer::sum);
            if (open.size() >= limits.maxConnections())
                refuse(s, new ApiError(503, "the server has " + limits.maxConnections() + " connections open, its most; retry shortly",
                        "server_error", null, "too_many_connections"));
            else if (limits.maxConnectionsPerClient() > 0 && mine > limits.maxConnectionsPerClient())
                refuse(s, new ApiError(429, client.getHostAddress() + " has " + limits.maxConnectionsPerClient()
                        + " connections open, the most one client may; reuse them (keep-alive) or close some", "rate_limit_error", null, "too_many_connections"));
            else {
                open.put(s, State.IDLE);
                connections.execute(() -> serve(s));
            }
        }
    }

    /**
     * A connection over a cap gets its one answer without a thread: written at once (a small write to a
     * fresh socket does not block), output shut so the client sees the answer end, and closed a little
     * later (closing with its request unread at once would reset the connection and could lose the answer).
     */
    private void refuse(Socket s, ApiError e) {
        forget(s); // a refused connection holds no slot: it is answered here and closed by the watchdog
        try {
            write(s.getOutputStream(), e.status, errorBody.apply(e), Map.of("Retry-After", "1"), false);
            s.shutdownOutput();
        } catch (IOException ignored) {
            // the client went away: nothing to tell it
        }
        watchdog.schedule(() -> close(s), 1, TimeUnit.SECONDS);
    }

    private void forget(Socket s) {
        perClient.computeIfPresent(s.getInetAddress(), (k, n) -> n == 1 ? null : n - 1);
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream(), 16 << 10);
            OutputStream out = s.getOutputStream();
            long opened = System.nanoTime();
            for (boolean first = true, keepAlive = true; keepAlive; first = false) {
                // the header deadline counts from the connection opening for its first request (a client that opens
                // and says nothing is dropped after headerTimeoutMs); a kept-alive one may idle between requests first
                long deadline;
                if (first) deadline = opened + ms(limits.headerTimeoutMs());
                else if (draining || !firstByte(s, in, System.nanoTime() + ms(limits.idleTimeoutMs()))) return;
                else deadline = System.nanoTime() + ms(limits.headerTimeoutMs());
                if (first && !firstByte(s, in, deadline)) return; // nothing was asked: nothing to answer
                open.replace(s, State.BUSY);
                Request r;
                try {
                    r = read(s, in, out, deadline);
                } catch (HttpError e) {
                    answer(s, out, e.error, false);
                    linger(s, in);
                    return;
                }
                keepAlive = keepAlive(r) && !draining;
                ApiError error = null;
                Response response = null;
                if (draining) error = new ApiError(503, "the server is shutting down; send the request to another instance",
                        "server_error", null, "shutting_down");
                else {
                    try {
                        response = handler.handle(r);
                    } catch (ApiError e) {
                        error = e;
                    } catch (RuntimeException e) {
                        error = new ApiError(500, "internal error: " + e, "server_error", null, null);
                    }
                }
                if (error != null) answer(s, out, error, keepAlive);
                else {
                    Response done = response;
                    boolean k = keepAlive;
                    timed(s, () -> write(out, done.status(), done.body(), done.headers(), k));
                }
                open.replace(s, State.IDLE);
            }
        } catch (IOException e) {
            // the client closed, reset, or was cut by a timeout: its connection ends here
        } finally {
            open.remove(s);
            forget(s);
        }
    }

    /** Waits until {@code deadline} for a request's first byte; false when the client sent none or closed. */
    private static boolean firstByte(Socket s, InputStream in, long deadline) throws IOException {
        try {
            setTimeout(s, deadline);
            in.mark(1);
            if (in.read() < 0) return false;
            in.reset();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /**
     * After a refusal of a request whose body was not read (a 413 for its Content-Length, say): closing
     * with unread bytes in the receive buffer makes the kernel reset the connection, and a client still
     * sending its body then loses the answer. So the output is shut (the client sees the answer end) and
     * what the client still sends is read and dropped until it closes, for at most one second.
     */
    private static void linger(Socket s, InputStream in) {
        try {
            s.shutdownOutput();
            long deadline = System.nanoTime() + ms(LINGER_MS);
            byte[] sink = new byte[16 << 10];
            while (System.nanoTime() < deadline) {
                setTimeout(s, deadline);
                if (in.read(sink) < 0) return;
            }
        } catch (IOException e) {
            // timed out, reset or closed: the connection ends either way
        }
    }

    private static final int LINGER_MS = 1000;

    private void answer(Socket s, OutputStream out, ApiError e, boolean keepAlive) throws IOException {
        Map<String, String> h = new LinkedHashMap<>();
        if (e.status == 503 || e.status == 429) h.put("Retry-After", "1");
        if (e.status == 401) h.put("WWW-Authenticate", "Bearer");
        timed(s, () -> write(out, e.status, errorBody.apply(e), h, keepAlive));
    }

    /** A refusal of the request's framing, answered and then the connection closed (what follows cannot be trusted). */
    private static final class HttpError extends Exception {
        final ApiError error;

        HttpError(int status, String message, String code) {
            super(message, null, false, false);
            this.error = new ApiError(status, message, "invalid_request_error", null, code);
        }
    }

    // ---- reading a request ---------------------------------------------------------------------

    private Request read(Socket s, InputStream in, OutputStream out, long headerDeadline) throws IOException, HttpError {
        int[] budget = {limits.maxHeaderBytes()};
        String line = line(s, in, headerDeadline, budget, "request line");
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || !parts[1].startsWith("/") && !parts[1].equals("*"))
            throw new HttpError(400, "malformed request line '" + printable(line) + "'; expected METHOD /path HTTP/1.1", "bad_request");
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0"))
            throw new HttpError(505, "HTTP version '" + printable(parts[2]) + "' is not served; use HTTP/1.1", "http_version_not_supported");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":version", parts[2]);
        for (String h; !(h = line(s, in, headerDeadline, budget, "headers")).isEmpty(); ) {
            int colon = h.indexOf(':');
            // no folded lines and no space before the colon: both let two parsers disagree on where a request ends
            if (colon <= 0 || h.charAt(0) == ' ' || h.charAt(0) == '\t' || Character.isWhitespace(h.charAt(colon - 1)))
                throw new HttpError(400, "malformed header line '" + printable(h) + "'", "bad_request");
            String name = h.substring(0, colon).toLowerCase(Locale.ROOT), value = h.substring(colon + 1).strip();
            if (name.equals("content-length") && headers.containsKey(name))
                throw new HttpError(400, "more than one Content-Length header", "bad_content_length");
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        String path = parts[1];
        int q = path.indexOf('?');
        if (q >= 0) path = path.substring(0, q);
        byte[] body = body(s, in, out, headers);
        return new Request(parts[0], path, headers, body);
    }

    private byte[] body(Socket s, InputStream in, OutputStream out, Map<String, String> headers) throws IOException, HttpError {
        String te = headers.get("transfer-encoding"), cl = headers.get("content-length");
        if (te != null && cl != null)
            throw new HttpError(400, "both Transfer-Encoding and Content-Length; send one", "bad_content_length");
        if (te != null && !te.equalsIgnoreCase("chunked"))
            throw new HttpError(501, "Transfer-Encoding '" + printable(te) + "' is not served; send Content-Length or chunked", "bad_request");
        long length = 0;
        if (cl != null) {
            if (!cl.matches("\\d{1,18}"))
                throw new HttpError(400, "Content-Length '" + printable(cl) + "' is not a number of bytes", "bad_content_length");
            length = Long.parseLong(cl);
            if (length > limits.maxBodyBytes())
                throw new HttpError(413, "the body has " + length + " bytes; at most " + limits.maxBodyBytes(), "body_too_large");
        }
        if (te == null && length == 0) return new byte[0];
        if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        long deadline = System.nanoTime() + ms(limits.bodyTimeoutMs());
        return te != null ? chunked(s, in, deadline) : exactly(s, in, (int) length, deadline);
    }

    private byte[] exactly(Socket s, InputStream in, int length, long deadline) throws IOException, HttpError {
        byte[] body = new byte[length];
        int at = 0;
        try {
            while (at < length) {
                setTimeout(s, deadline);
                int n = in.read(body, at, length - at);
                if (n < 0)
                    throw new HttpError(400, "the body ended after " + at + " of the " + length + " bytes its Content-Length announced", "bad_content_length");
                at += n;
            }
        } catch (SocketTimeoutException e) {
            throw new HttpError(408, "the body did not arrive within " + limits.bodyTimeoutMs() + " ms: " + at + " of the " + length
                    + " bytes its Content-Length announced", "timeout");
        }
        return body;
    }

    private byte[] chunked(Socket s, InputStream in, long deadline) throws IOException, HttpError {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int[] budget = {limits.maxHeaderBytes()}; // chunk-size lines and trailers
        try {
            while (true) {
                String sizeLine = line(s, in, deadline, budget, "chunk size");
                int semi = sizeLine.indexOf(';');
                String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip();
                if (!hex.matches("[0-9a-fA-F]{1,8}")) throw new HttpError(400, "chunk size '" + printable(hex) + "' is not hexadecimal", "bad_request");
                long size = Long.parseLong(hex, 16);
                if (body.size() + size > limits.maxBodyBytes())
                    throw new HttpError(413, "the body is over " + limits.maxBodyBytes() + " bytes", "body_too_large");
                if (size == 0) {
                    while (!line(s, in, deadline, budget, "trailers").isEmpty()) ; // trailers are ignored
                    return body.toByteArray();
                }
                body.write(exactly(s, in, (int) size, deadline));
                if (!line(s, in, deadline, budget, "chunk end").isEmpty()) throw new HttpError(400, "a chunk is longer than its size", "bad_request");
            }
        } catch (SocketTimeoutException e) {
            throw new HttpError(408, "the body did not arrive within " + limits.bodyTimeoutMs() + " ms", "timeout");
        }
    }

    /** One CRLF- (or LF-) ended line in ISO-8859-1, charged to {@code budget} bytes. */
    private String line(Socket s, InputStream in, long deadline, int[] budget, String what) throws IOException, HttpError {
        StringBuilder b = new StringBuilder();
        try {
            while (true) {
                setTimeout(s, deadline);
                int c = in.read();
                if (c < 0) throw new HttpError(400, "the connection ended inside the " + what, "bad_request");
                if (--budget[0] < 0)
                    throw new HttpError(431, "the " + what + " are over " + limits.maxHeaderBytes() + " bytes", "headers_too_large");
                if (c == '\n') break;
                b.append((char) c);
            }
        } catch (SocketTimeoutException e) {
            throw new HttpError(408, "the " + what + " did not arrive within " + limits.headerTimeoutMs() + " ms", "timeout");
        }
        int n = b.length();
        if (n > 0 && b.charAt(n - 1) == '\r') b.setLength(n - 1);
        return b.toString();
    }

    /** The socket's read timeout set to what is left until {@code deadline}; past it, a timeout at once. */
    private static void setTimeout(Socket s, long deadline) throws IOException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new SocketTimeoutException("deadline passed");
        s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    /** HTTP/1.1 keeps a connection open unless told to close; HTTP/1.0 closes it unless told to keep it. */
    private static boolean keepAlive(Request r) {
        String c = String.valueOf(r.header("connection")).toLowerCase(Locale.ROOT);
        return "HTTP/1.0".equals(r.headers().get(":version")) ? c.contains("keep-alive") : !c.contains("close");
    }

    // ---- writing -------------------------------------------------------------------------------

    private interface Io {
        void run() throws IOException;
    }

    /** Runs a write, closing the socket if it takes longer than writeTimeoutMs (a client that does not read). */
    private void timed(Socket s, Io write) throws IOException {
        ScheduledFuture<?> cut = watchdog.schedule(() -> close(s), limits.writeTimeoutMs(), TimeUnit.MILLISECONDS);
        try {
            write.run();
        } finally {
            cut.cancel(false);
        }
    }

    private static void write(OutputStream out, int status, byte[] body, Map<String, String> headers, boolean keepAlive) throws IOException {
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        h.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        h.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        h.append("\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    // ---- stopping ------------------------------------------------------------------------------

    /**
     * Starts the drain: requests that arrive from now on are answered 503 (the server is shutting
     * down), kept-alive connections close after their answer, and idle ones close at once.
     */
    void drain() {
        draining = true;
        open.forEach((s, state) -> { if (state == State.IDLE) close(s); });
    }

    /** Whether a connection is reading, waiting on the handler or writing. */
    boolean busy() {
        return open.containsValue(State.BUSY);
    }

    /** Stops listening and closes every connection, busy or not. */
    @Override
    public void close() {
        draining = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing a listener that failed: nothing more to release
        }
        open.keySet().forEach(HttpServer::close);
        connections.shutdownNow();
        watchdog.shutdownNow();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static String printable(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
