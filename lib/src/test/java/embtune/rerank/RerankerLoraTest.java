package embtune.rerank;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.loss.RerankerLossType;
import embtune.train.RerankerTrainStepsTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * tiny-bert-reranker-lora, a peft SEQ_CLS adapter whose classifier is saved in modules_to_save:
 * logits with the adapter and after merging as peft computes them, and its 3 AdamW steps
 * (adapters and classifier trained) as torch takes them.
 */
class RerankerLoraTest {
    static final JsonNode R = Fixtures.json("reranker.json");

    @Test
    void adapterAndMergedLogitsMatchPeft() {
        try (Reranker r = Reranker.load(Fixtures.dir("tiny-bert-reranker"))) {
            LoraConfig c = RerankerAdapter.load(r, Fixtures.dir("tiny-bert-reranker-lora"));
            assertEquals(4, c.r());
            List<String> q = RerankerFixtureTest.column(0), d = RerankerFixtureTest.column(1);
            double diff = Fixtures.maxDiff(Fixtures.floats(R.get("lora").get("logits_with_adapter")), r.logits(q, d));
            assertTrue(diff < 1e-5, "with adapter: " + diff);
            // 2 layers x (query, key, value, attention out, intermediate, output) + the pooler: 13 A/B pairs, and the classifier's 2
            assertEquals(13 * 2 + 2, RerankerAdapter.trainable(r).size());
            Lora.merge(r.modules());
            diff = Fixtures.maxDiff(Fixtures.floats(R.get("lora").get("logits_merged")), r.logits(q, d));
            assertTrue(diff < 1e-5, "merged: " + diff);
        }
    }

    @Test
    void loraTrainingMatchesTorch() {
        try (Reranker r = Reranker.load(Fixtures.dir("tiny-bert-reranker"))) {
            RerankerAdapter.load(r, Fixtures.dir("tiny-bert-reranker-lora"));
            RerankerTrainStepsTest.replay("tiny-bert-reranker lora pointwise_reranker", r, RerankerAdapter.trainable(r),
                    RerankerLossType.POINTWISE);
        }
    }
}
