package embtune.rerank;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.ModelError;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * reranker.json's pairs through each tiny reranker: the token ids, token types and masks the
 * Python tokenizers made, and the logits and scores sentence-transformers' CrossEncoder
 * (cross-encoders) and transformers' Qwen3ForCausalLM (yes minus no at the last token) computed.
 */
class RerankerFixtureTest {
    static final JsonNode R = Fixtures.json("reranker.json");

    static List<String> column(int k) {
        List<String> out = new ArrayList<>();
        R.get("pairs").forEach(p -> out.add(p.get(k).asText()));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bert-reranker", "tiny-modernbert-reranker", "tiny-qwen3-reranker"})
    void inputsLogitsAndScoresMatchPython(String name) {
        JsonNode want = R.get("models").get(name);
        try (Reranker r = Reranker.load(Fixtures.dir(name))) {
            RerankInputs.Batch b = r.inputs().encode(column(0), column(1));
            assertArrayEquals(Fixtures.longs(want.get("input_ids")), b.ids(), name + " input_ids");
            assertArrayEquals(Fixtures.longs(want.get("attention_mask")), b.mask(), name + " attention_mask");
            if (want.has("token_type_ids")) assertArrayEquals(Fixtures.longs(want.get("token_type_ids")), b.types(), name + " token_type_ids");
            float[] logits = r.logits(column(0), column(1));
            double d = Fixtures.maxDiff(Fixtures.floats(want.get("logits")), logits);
            assertTrue(d < 1e-5, name + " logits differ by " + d);
            float[] scores = new float[logits.length];
            for (int i = 0; i < logits.length; i++) scores[i] = r.scores(column(0).get(i), column(1).get(i))[0];
            d = Fixtures.maxDiff(Fixtures.floats(want.get("scores")), scores);
            assertTrue(d < 1e-5, name + " scores differ by " + d);
        }
    }

    @Test
    void rankSortsByScoreAndKeepsTheIndex() {
        try (Reranker r = Reranker.load(Fixtures.dir("tiny-modernbert-reranker"))) {
            List<String> docs = column(1);
            float[] s = r.scores("Return the arc cosine", docs);
            List<Reranker.Ranked> ranked = r.rank("Return the arc cosine", docs);
            assertEquals(docs.size(), ranked.size());
            for (int i = 0; i < ranked.size(); i++) {
                assertEquals(s[ranked.get(i).index()], ranked.get(i).score());
                assertEquals(docs.get(ranked.get(i).index()), ranked.get(i).document());
                if (i > 0) assertTrue(ranked.get(i - 1).score() >= ranked.get(i).score());
            }
            assertTrue(r.toString().startsWith("Reranker(tiny-modernbert-reranker, cross-encoder modernbert"), r.toString());
        }
    }

    @Test
    void anEmbeddingModelIsNotAReranker() {
        ModelError e = assertThrows(ModelError.class, () -> Reranker.load(Fixtures.dir("tiny-bert")));
        assertTrue(e.getMessage().contains("BertModel, which is not a reranker"), e.getMessage());
    }
}
