package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.rerank.Reranker;
import org.junit.jupiter.api.Test;

/** /v1/rerank's body and answer (Cohere / Jina / vLLM shape); the route itself is wired where the server lives. */
class RerankRequestTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void answersBestFirstWithIndexScoreAndDocument() throws Exception {
        JsonNode body = JSON.readTree("{\"model\": \"r\", \"query\": \"arc cosine\", \"top_n\": 2, \"return_documents\": true, "
                + "\"documents\": [\"Exact matching of IP addresses.\", {\"text\": \"Return the arc cosine of z.\"}, \"The base class.\"]}");
        RerankRequest req = RerankRequest.parse(body, 100);
        try (Reranker r = Reranker.load(Fixtures.dir("tiny-modernbert-reranker"))) {
            JsonNode out = req.answer(r, "tiny", JSON);
            float[] scores = r.scores("arc cosine", req.documents());
            assertEquals("r", out.get("model").asText());
            assertEquals(2, out.get("results").size());
            JsonNode first = out.get("results").get(0), second = out.get("results").get(1);
            assertEquals(scores[first.get("index").asInt()], first.get("relevance_score").floatValue(), 1e-6);
            assertTrue(first.get("relevance_score").floatValue() >= second.get("relevance_score").floatValue());
            assertEquals(req.documents().get(first.get("index").asInt()), first.get("document").get("text").asText());
            assertFalse(RerankRequest.parse(JSON.readTree("{\"query\": \"q\", \"documents\": [\"d\"]}"), 10).answer(r, "tiny", JSON)
                    .get("results").get(0).has("document"), "documents only when asked");
        }
    }

    @Test
    void badFieldsAreFourHundredsNamingTheField() throws Exception {
        String[][] cases = {{"{\"documents\": [\"d\"]}", "query"}, {"{\"query\": \"q\", \"documents\": []}", "documents"},
                {"{\"query\": \"q\", \"documents\": [1]}", "documents[0]"}, {"{\"query\": \"q\", \"documents\": [\"d\"], \"top_n\": 0}", "top_n"},
                {"{\"query\": \"q\", \"documents\": [\"d\"], \"return_documents\": \"yes\"}", "return_documents"},
                {"{\"query\": \"q\", \"documents\": [\"a\", \"b\", \"c\"]}", "documents"}};
        for (String[] c : cases) {
            ApiError e = assertThrows(ApiError.class, () -> RerankRequest.parse(JSON.readTree(c[0]), 2), c[0]);
            assertEquals(400, e.status);
            assertEquals(c[1], e.param, c[0]);
        }
    }
}
