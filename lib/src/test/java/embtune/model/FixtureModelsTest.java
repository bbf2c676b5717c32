package embtune.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every fixture model reproduces sentence-transformers' ids, token embeddings and embeddings. */
class FixtureModelsTest {
    static final double TOL = 1e-5;

    static Embedder load(String name) {
        // the bf16 folder has no sentence-transformers files and an unbounded model_max_length;
        // its expected.json was made with max_seq_length 64, as the other fixtures
        var opts = Embedder.Options.defaults();
        if (name.equals("tiny-qwen3-bf16-sharded")) opts = opts.maxLength(64);
        return Embedder.load(Fixtures.dir(name), opts);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3", "tiny-qwen2", "tiny-bert", "tiny-modernbert", "tiny-qwen3-bf16-sharded"})
    void reproducesExpected(String name) {
        JsonNode e = Fixtures.json(name + "/expected.json");
        List<String> texts = Fixtures.strings(e.get("texts"));
        try (Embedder m = load(name)) {
            TextTokenizer.Batch batch = m.tokenizer().encode(texts);
            assertArrayEquals(Fixtures.longs(e.get("input_ids")), batch.ids(), "input_ids");
            assertArrayEquals(Fixtures.longs(e.get("attention_mask")), batch.mask(), "attention_mask");

            float[][][] tokens = m.tokenEmbeddings(texts);
            long[][] mask = batch.mask();
            double worst = 0, worstPad = 0;
            for (int b = 0; b < tokens.length; b++)
                for (int t = 0; t < tokens[b].length; t++) {
                    double d = Fixtures.maxDiff(tokens[b][t], Fixtures.floats(e.get("token_embeddings").get(b).get(t)));
                    if (mask[b][t] == 1) worst = Math.max(worst, d);
                    else worstPad = Math.max(worstPad, d);
                }
            assertTrue(worst < TOL, name + " token embeddings differ by " + worst);
            assertTrue(worstPad < TOL, name + " token embeddings at padding differ by " + worstPad);

            double d = Fixtures.maxDiff(m.embed(texts).clone(), Fixtures.matrix(e.get("embeddings")));
            assertTrue(d < TOL, name + " embeddings differ by " + d);
        }
    }
}
