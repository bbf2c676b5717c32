package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.model.Embedder;
import embtune.rerank.Reranker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** POST /v1/rerank over HTTP, as a Cohere / Jina / vLLM client sends it: results best first with the reranker's scores; errors as OpenAI's. */
class RerankServeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static HttpResponse<String> post(EmbeddingServer s, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.address() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void rerankAnswersBestFirstAndRefusesBadBodies() throws Exception {
        List<String> docs = List.of("Exact matching of IP addresses.", "Return the arc cosine of z.", "The base class of the class hierarchy.");
        try (Embedder e = Embedder.load(Fixtures.dir("tiny-bert")); Reranker r = Reranker.load(Fixtures.dir("tiny-bert-reranker"));
             EmbeddingServer s = EmbeddingServer.start(e, null, r, EmbeddingServer.Options.defaults().port(0))) {
            float[] want = r.scores("arc cosine", docs);
            var res = post(s, "/v1/rerank", JSON.writeValueAsString(java.util.Map.of("model", "tiny-bert-reranker", "query", "arc cosine",
                    "documents", docs, "top_n", 2, "return_documents", true)));
            assertEquals(200, res.statusCode(), res.body());
            JsonNode results = JSON.readTree(res.body()).get("results");
            assertEquals(2, results.size());
            for (JsonNode x : results) {
                assertEquals(want[x.get("index").asInt()], x.get("relevance_score").floatValue(), 1e-6);
                assertEquals(docs.get(x.get("index").asInt()), x.get("document").get("text").asText());
            }
            assertTrue(results.get(0).get("relevance_score").floatValue() >= results.get(1).get("relevance_score").floatValue());
            var bad = post(s, "/v1/rerank", "{\"query\": \"q\", \"documents\": []}");
            assertEquals(400, bad.statusCode());
            assertEquals("documents", JSON.readTree(bad.body()).get("error").get("param").asText());
            assertEquals(200, post(s, "/v1/embeddings", "{\"input\": \"still embedding\"}").statusCode(), "embeddings still served");
        }
        try (Embedder e = Embedder.load(Fixtures.dir("tiny-bert"));
             EmbeddingServer s = EmbeddingServer.start(e, EmbeddingServer.Options.defaults().port(0))) {
            var none = post(s, "/v1/rerank", "{\"query\": \"q\", \"documents\": [\"d\"]}");
            assertEquals(404, none.statusCode());
            assertTrue(none.body().contains("serve --reranker"), none.body());
        }
    }
}
