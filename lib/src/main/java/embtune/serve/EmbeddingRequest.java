package embtune.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@code POST /v1/embeddings}, checked field by field: {@code input} (a string, a list
 * of strings, a list of token ids, or a list of such lists), {@code model}, {@code encoding_format}
 * (float or base64), {@code dimensions} (Matryoshka truncation), and {@code truncate} (embtune's:
 * false makes a text longer than the model takes an error instead of cutting it).
 */
record EmbeddingRequest(List<String> texts, List<long[]> tokens, String model, boolean base64, Integer dimensions, boolean truncate) {

    int size() {
        return texts != null ? texts.size() : tokens.size();
    }

    static EmbeddingRequest parse(JsonNode body, int maxInputs) {
        if (body == null || !body.isObject()) throw ApiError.invalid(null, "the body must be a JSON object");
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) throw ApiError.invalid("input", "'input' is required");
        List<String> texts = null;
        List<long[]> tokens = null;
        if (input.isTextual()) texts = List.of(text(input, "input"));
        else if (input.isArray()) {
            if (input.isEmpty()) throw ApiError.invalid("input", "'input' is an empty list");
            if (input.size() > maxInputs)
                throw ApiError.invalid("input", "'input' has " + input.size() + " items; at most " + maxInputs + " per request");
            JsonNode first = input.get(0);
            if (first.isTextual()) {
                texts = new ArrayList<>();
                for (int i = 0; i < input.size(); i++) texts.add(text(input.get(i), "input[" + i + "]"));
            } else if (first.isIntegralNumber()) {
                tokens = List.of(ids(input, "input"));
            } else if (first.isArray()) {
                tokens = new ArrayList<>();
                for (int i = 0; i < input.size(); i++) tokens.add(ids(input.get(i), "input[" + i + "]"));
            } else throw ApiError.invalid("input[0]", "'input' must be a string, a list of strings, or token ids");
        } else throw ApiError.invalid("input", "'input' must be a string, a list of strings, or token ids, not " + input.getNodeType());

        String format = body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64"))
            throw ApiError.invalid("encoding_format", "'encoding_format' must be float or base64, not '" + format + "'");
        Integer dims = null;
        JsonNode d = body.get("dimensions");
        if (d != null && !d.isNull()) {
            if (!d.isIntegralNumber() || d.asInt() < 1) throw ApiError.invalid("dimensions", "'dimensions' must be a positive whole number");
            dims = d.asInt();
        }
        JsonNode t = body.get("truncate");
        if (t != null && !t.isNull() && !t.isBoolean()) throw ApiError.invalid("truncate", "'truncate' must be true or false");
        JsonNode m = body.get("model");
        if (m != null && !m.isNull() && !m.isTextual()) throw ApiError.invalid("model", "'model' must be a string");
        return new EmbeddingRequest(texts, tokens, m == null || m.isNull() ? null : m.asText(), format.equals("base64"), dims,
                t == null || t.isNull() || t.asBoolean());
    }

    private static String text(JsonNode n, String param) {
        if (!n.isTextual()) throw ApiError.invalid(param, "'" + param + "' must be a string, not " + n.getNodeType());
        if (n.asText().isEmpty()) throw ApiError.invalid(param, "'" + param + "' is an empty string");
        return n.asText();
    }

    private static long[] ids(JsonNode n, String param) {
        if (!n.isArray() || n.isEmpty()) throw ApiError.invalid(param, "'" + param + "' must be a non-empty list of token ids");
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || v.asLong() < 0) throw ApiError.invalid(param, "'" + param + "' holds " + v + ", not a token id");
            out[i] = v.asLong();
        }
        return out;
    }
}
