package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.model.Embedder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 34's hostile clients against the server's connections: silent and slow clients, lying
 * Content-Lengths, trailing bytes, one client holding many connections, and the drain.
 */
class ServeHardeningTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();
    static Embedder model;
    final List<Socket> sockets = new ArrayList<>();

    @BeforeAll
    static void load() {
        model = Embedder.load(Fixtures.dir("tiny-bert"));
        model.embed("warm up"); // first-use compiles (TorchScript functions) belong to no test's timing
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket s : sockets) s.close();
    }

    static EmbeddingServer.Options fast() {
        return EmbeddingServer.Options.defaults().port(0).headerTimeoutMs(400).bodyTimeoutMs(600);
    }

    Socket connect(EmbeddingServer server) throws IOException {
        Socket s = new Socket(server.address().getHost(), server.address().getPort());
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }

    static HttpResponse<String> post(EmbeddingServer server, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.address() + "/v1/embeddings"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status line and body of the answer on a raw socket, read to its end (the server closes after a refusal). */
    static String[] answer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) all.write(buf, 0, n);
        } catch (java.net.SocketException reset) {
            // read what came before the close
        }
        String text = all.toString(StandardCharsets.UTF_8);
        int split = text.indexOf("\r\n\r\n");
        return new String[] {text.lines().findFirst().orElse(""), split < 0 ? "" : text.substring(split + 4)};
    }

    /** An OpenAI error object with this status whose message contains {@code words}. */
    static void openAiError(String[] answer, int status, String words) throws IOException {
        assertTrue(answer[0].startsWith("HTTP/1.1 " + status + " "), answer[0] + " " + answer[1]);
        JsonNode e = JSON.readTree(answer[1]).get("error");
        assertNotNull(e, answer[1]);
        assertTrue(e.has("type") && e.has("param") && e.has("code"), answer[1]);
        assertTrue(e.get("message").asText().contains(words), e.get("message").asText());
    }

    static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void sixtyFourStalledConnectionsThenANormalRequestIsAnsweredWithinASecond() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, EmbeddingServer.Options.defaults().port(0))) {
            assertEquals(200, post(server, "{\"input\": \"before\"}").statusCode()); // this server's first request is not what is timed
            for (int i = 0; i < 64; i++) {
                Socket s = connect(server);
                // a third say nothing, a third stop inside the headers, a third send a Content-Length larger than the body
                if (i % 3 == 1) send(s, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n");
                if (i % 3 == 2) send(s, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"input\":");
            }
            Thread.sleep(200); // every stalled connection accepted and waiting
            long start = System.nanoTime();
            HttpResponse<String> r = post(server, "{\"input\": \"a normal request\"}");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(seconds < 1, "answered in " + seconds + " s with 64 stalled connections open");
        }
    }

    @Test
    void aSilentConnectionIsDroppedAfterTheHeaderTimeout() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast())) {
            Socket s = connect(server);
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "closed without an answer: nothing was asked");
            double ms = (System.nanoTime() - start) / 1e6;
            assertTrue(ms > 300 && ms < 5000, "dropped after " + ms + " ms (header timeout 400 ms)");
        }
    }

    /** {@code text} every 100 ms, {@code times} times or until the server closes the connection. */
    static void drip(Socket s, String text, int times) throws InterruptedException {
        for (int i = 0; i < times; i++) {
            Thread.sleep(100);
            try {
                send(s, text);
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Test
    void headersOrABodyDrippedSlowerThanTheirTimeoutGet408() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast())) {
            // a byte every 100 ms resets any per-read timeout; the deadline is a total
            Socket headers = connect(server);
            send(headers, "POST /v1/embeddings HTTP/1.1\r\n");
            drip(headers, "X", 8);
            openAiError(answer(headers), 408, "did not arrive within 400 ms");

            Socket body = connect(server);
            send(body, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{");
            drip(body, " ", 10);
            openAiError(answer(body), 408, "the body did not arrive within 600 ms");
        }
    }

    @Test
    void aContentLengthLargerThanTheBodyIsAnsweredNotHung() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast())) {
            Socket waits = connect(server);
            send(waits, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"input\": \"x\"}");
            openAiError(answer(waits), 408, "14 of the 100 bytes its Content-Length announced");

            Socket ends = connect(server);
            send(ends, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"input\": \"x\"}");
            ends.shutdownOutput();
            openAiError(answer(ends), 400, "the body ended after 14 of the 100 bytes its Content-Length announced");
        }
    }

    /** The server refuses a body by its Content-Length before reading it; the client, still sending, must still get the 413. */
    @Test
    void aBodyOverTheLimitGets413WhileTheClientIsStillSendingIt() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast().maxBodyBytes(64 << 10))) {
            String body = "{\"input\": \"" + "x".repeat(1 << 20) + "\"}";
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = post(server, body);
                assertEquals(413, r.statusCode(), "try " + i + ": " + r.body());
                assertEquals("body_too_large", JSON.readTree(r.body()).get("error").get("code").asText());
            }
            assertEquals(200, post(server, "{\"input\": \"still serving\"}").statusCode());
        }
    }

    @Test
    void badContentLengthsGet400WithOpenAisErrorObject() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast())) {
            for (String[] c : List.of(new String[] {"Content-Length: abc\r\n", "Content-Length 'abc' is not a number of bytes"},
                    new String[] {"Content-Length: -5\r\n", "Content-Length '-5' is not a number of bytes"},
                    new String[] {"Content-Length: 99999999999999999999\r\n", "is not a number of bytes"},
                    new String[] {"Content-Length: 13\r\nContent-Length: 14\r\n", "more than one Content-Length"},
                    new String[] {"Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", "both Transfer-Encoding and Content-Length"})) {
                Socket s = connect(server);
                send(s, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n" + c[0] + "\r\n{\"input\":\"x\"}");
                openAiError(answer(s), 400, c[1]);
            }
            assertEquals(200, post(server, "{\"input\": \"still serving\"}").statusCode());
        }
    }

    @Test
    void trailingBytesAfterTheJsonGet400() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast())) {
            for (String body : List.of("{\"input\": \"x\"} trailing", "{\"input\": \"x\"}{\"input\": \"y\"}", "{\"input\": \"x\"}]")) {
                HttpResponse<String> r = post(server, body);
                assertEquals(400, r.statusCode(), body + " -> " + r.body());
                JsonNode e = JSON.readTree(r.body()).get("error");
                assertTrue(e.get("message").asText().startsWith("the body is not one JSON value"), r.body());
                assertEquals("invalid_request_error", e.get("type").asText());
            }
            assertEquals(200, post(server, "{\"input\": \"x\"}  \n").statusCode(), "trailing white space is JSON");
        }
    }

    @Test
    void keptAliveAndChunkedRequestsAreServedOnOneConnection() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast())) {
            Socket s = connect(server);
            String body = "{\"input\": \"x\"}";
            send(s, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                    + "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "5\r\n{\"inp\r\n9\r\nut\": \"x\"}\r\n0\r\n\r\n");
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, all.split("HTTP/1.1 200 OK", -1).length - 1, all);
            assertTrue(all.contains("Connection: close"), all);
        }
    }

    @Test
    void oneClientGetsAtMostItsCapOfConnections() throws Exception {
        try (EmbeddingServer server = EmbeddingServer.start(model, fast().headerTimeoutMs(30_000).maxConnectionsPerClient(4))) {
            for (int i = 0; i < 4; i++) connect(server);
            Thread.sleep(100);
            Socket fifth = connect(server);
            send(fifth, "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
            String[] a = answer(fifth);
            openAiError(a, 429, "has 4 connections open, the most one client may");
            sockets.get(0).close();
            Thread.sleep(200); // the server sees the close
            assertEquals(200, post(server, "{\"input\": \"x\"}").statusCode(), "a slot came free");
        }
    }

    @Test
    void closeDrainsWithinItsTimeoutAnswering503ToNewRequests() throws Exception {
        EmbeddingServer server = EmbeddingServer.start(model, EmbeddingServer.Options.defaults().port(0).drainTimeoutMs(8000));
        CountDownLatch passHeld = new CountDownLatch(1);
        server.beforePass = () -> {
            try {
                passHeld.await(2, TimeUnit.SECONDS); // the queued request's pass runs into the drain
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        for (int i = 0; i < 16; i++) connect(server); // stalled clients do not hold the drain
        CompletableFuture<HttpResponse<String>> queued = http.sendAsync(HttpRequest.newBuilder(URI.create(server.address() + "/v1/embeddings"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"input\": \"queued before the drain\"}")).build(), HttpResponse.BodyHandlers.ofString());
        for (int i = 0; i < 1000 && server.pending() == 0; i++) Thread.sleep(10); // taken, its pass held
        long start = System.nanoTime();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        Thread.sleep(200);
        HttpResponse<String> late = post(server, "{\"input\": \"arrives during the drain\"}");
        assertEquals(503, late.statusCode(), late.body());
        JsonNode e = JSON.readTree(late.body()).get("error");
        assertTrue(e.get("message").asText().contains("shutting down"), late.body());
        assertEquals("shutting_down", e.get("code").asText());
        passHeld.countDown();
        assertEquals(200, queued.get(10, TimeUnit.SECONDS).statusCode(), "a request taken before the drain is answered");
        closing.get(10, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 8, "drained in " + seconds + " s (drain timeout 8 s) with 16 stalled connections");
        for (Socket s : sockets.subList(0, 16)) assertEquals(-1, s.getInputStream().read(), "stalled connections are closed");
    }
}
