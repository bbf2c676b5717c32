package embtune.mine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An embeddings endpoint on the loopback that answers what a test scripts: the n-th request
 * (counting from 0) and its input size in, status, headers and body out.
 */
public final class FakeEndpoint implements AutoCloseable {
    public record Answer(int status, String retryAfter, String body) {
        public static Answer ok(String body) { return new Answer(200, null, body); }
    }

    public interface Script {
        Answer answer(int request, JsonNode body);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer http;
    public final AtomicInteger requests = new AtomicInteger();

    public FakeEndpoint(Script script) throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        http.createContext("/v1/embeddings", x -> {
            try (x) {
                JsonNode body = JSON.readTree(x.getRequestBody());
                Answer a = script.answer(requests.getAndIncrement(), body);
                byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
                if (a.retryAfter() != null) x.getResponseHeaders().add("Retry-After", a.retryAfter());
                x.getResponseHeaders().add("Content-Type", "application/json");
                x.sendResponseHeaders(a.status(), out.length);
                x.getResponseBody().write(out);
            }
        });
        http.start();
    }

    public String base() {
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/v1";
    }

    /** {"data": [...]} with one vector of {@code dims} numbers per input (the i-th input's vector is (i+1, 1, 1...)). */
    public static String vectors(JsonNode body, int dims) {
        StringBuilder sb = new StringBuilder("{\"object\":\"list\",\"data\":[");
        int n = body.get("input").size();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":[");
            for (int d = 0; d < dims; d++) sb.append(d == 0 ? "" : ",").append(d == 0 ? i + 1 : 1);
            sb.append("]}");
        }
        return sb.append("]}").toString();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
