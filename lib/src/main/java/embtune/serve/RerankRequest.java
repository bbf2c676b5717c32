package embtune.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import embtune.rerank.Reranker;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/rerank} in the shape Cohere, Jina and vLLM share: {@code model}, {@code query},
 * {@code documents} (strings, or objects with {@code text}), {@code top_n}, {@code return_documents}
 * in; {@code results} of {@code index}, {@code relevance_score} (the reranker's sigmoid score) and,
 * when asked, {@code document: {text}} out, best first. Bad fields are 400s naming the field, as
 * the embeddings endpoint answers.
 */
public record RerankRequest(String model, String query, List<String> documents, int topN, boolean returnDocuments) {

    public static RerankRequest parse(JsonNode body, int maxDocuments) {
        if (body == null || !body.isObject()) throw ApiError.invalid(null, "the body must be a JSON object");
        JsonNode q = body.get("query");
        if (q == null || !q.isTextual() || q.asText().isEmpty()) throw ApiError.invalid("query", "'query' must be a non-empty string");
        JsonNode docs = body.get("documents");
        if (docs == null || !docs.isArray() || docs.isEmpty()) throw ApiError.invalid("documents", "'documents' must be a non-empty list");
        if (docs.size() > maxDocuments)
            throw ApiError.invalid("documents", "'documents' has " + docs.size() + " items; at most " + maxDocuments + " per request");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            JsonNode d = docs.get(i);
            JsonNode text = d.isObject() ? d.get("text") : d;
            if (text == null || !text.isTextual())
                throw ApiError.invalid("documents[" + i + "]", "'documents[" + i + "]' must be a string or an object with a string 'text'");
            texts.add(text.asText());
        }
        int topN = texts.size();
        JsonNode n = body.get("top_n");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber() || n.asInt() < 1) throw ApiError.invalid("top_n", "'top_n' must be a positive whole number");
            topN = Math.min(n.asInt(), texts.size());
        }
        JsonNode r = body.get("return_documents");
        if (r != null && !r.isNull() && !r.isBoolean()) throw ApiError.invalid("return_documents", "'return_documents' must be true or false");
        JsonNode m = body.get("model");
        if (m != null && !m.isNull() && !m.isTextual()) throw ApiError.invalid("model", "'model' must be a string");
        return new RerankRequest(m == null || m.isNull() ? null : m.asText(), q.asText(), texts, topN, r != null && r.asBoolean(false));
    }

    /** The response body: the top_n documents by score, best first. */
    public ObjectNode answer(Reranker reranker, String modelName, ObjectMapper json) {
        List<Reranker.Ranked> ranked = reranker.rank(query, documents);
        ObjectNode root = json.createObjectNode();
        root.put("id", "rerank-" + java.util.UUID.randomUUID());
        root.put("model", model != null ? model : modelName);
        ArrayNode results = root.putArray("results");
        for (Reranker.Ranked x : ranked.subList(0, topN)) {
            ObjectNode o = results.addObject().put("index", x.index()).put("relevance_score", x.score());
            if (returnDocuments) o.putObject("document").put("text", x.document());
        }
        return root;
    }
}
