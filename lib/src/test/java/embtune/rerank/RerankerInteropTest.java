package embtune.rerank;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import embtune.PythonRef;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.loss.ListwiseRerankerLoss;
import embtune.train.AdamW;
import embtune.train.RerankerTrainStep;
import embtune.train.RerankerTrainStepsTest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What embtune writes for a reranker loads unchanged in Python with the same logits: a full
 * cross-encoder checkpoint and a merged export in sentence-transformers' CrossEncoder, the LoRA
 * adapter (trained classifier in modules_to_save) in peft, a full Qwen3 generative reranker and its
 * LoRA adapter (CAUSAL_LM) in transformers and peft.
 * (CrossEncoder(adapter folder) is not asked: with sentence-transformers 6.0.1 and
 * transformers 5.17 it fails, or loads a fresh random classifier, for peft's own SEQ_CLS adapters too.)
 */
@Tag("slow")
@Tag("python")
class RerankerInteropTest {
    @TempDir Path dir;

    static void trainTwoSteps(Reranker r, Map<String, ai.djl.nn.Parameter> params) {
        AdamW adam = new AdamW(params, r.manager(), 0.9, 0.999, 1e-8, 0.01);
        RerankerTrainStep step = new RerankerTrainStep(r, new ListwiseRerankerLoss(), params, adam, 1.0);
        RerankInputs.Batch b = r.inputs().encode(RerankerTrainStepsTest.column(0), RerankerTrainStepsTest.column(1));
        try (NDManager out = NDManager.newBaseManager()) {
            for (int i = 0; i < 2; i++) step.run(b, RerankerTrainStepsTest.labels(), 1e-2, out);
        }
    }

    @Test
    void fullLoraMergedAndGenerativeCheckpointsScoreTheSameInPython() throws Exception {
        PythonRef.python();
        List<String> q = RerankerFixtureTest.column(0), d = RerankerFixtureTest.column(1);
        Path base = Fixtures.dir("tiny-bert-reranker").toAbsolutePath();
        Path full = dir.resolve("full"), adapter = dir.resolve("lora"), merged = dir.resolve("merged"), qwen = dir.resolve("qwen3");
        Path qwenBase = Fixtures.dir("tiny-qwen3-reranker").toAbsolutePath(), qwenAdapter = dir.resolve("qwen3-lora");
        Map<String, float[]> ours = new LinkedHashMap<>();
        try (Reranker r = Reranker.load(base)) {
            float[] before = r.logits(q, d);
            trainTwoSteps(r, r.parameters());
            assertNotEquals(before[0], r.logits(q, d)[0]);
            RerankerSaver.save(r, full, false);
        }
        try (Reranker r = Reranker.load(full)) { ours.put(full.toString(), r.logits(q, d)); }
        try (Reranker r = Reranker.load(base)) {
            RerankerAdapter.apply(r, new LoraConfig(4, 8, 0, List.of("query", "value"), false), 7);
            trainTwoSteps(r, RerankerAdapter.trainable(r));
            RerankerAdapter.write(r, new LoraConfig(4, 8, 0, List.of("query", "value"), false), base.toString(), adapter);
            ours.put("peft:" + adapter, r.logits(q, d));
            Lora.merge(r.modules());
            RerankerSaver.save(r, merged, false);
        }
        try (Reranker r = Reranker.load(base)) {
            RerankerAdapter.load(r, adapter);
            assertArrayEquals(ours.get("peft:" + adapter), r.logits(q, d), 1e-6f, "the adapter reloads in embtune");
        }
        try (Reranker r = Reranker.load(merged)) { ours.put(merged.toString(), r.logits(q, d)); }
        try (Reranker r = Reranker.load(Fixtures.dir("tiny-qwen3-reranker"))) {
            trainTwoSteps(r, r.parameters());
            RerankerSaver.save(r, qwen, false);
        }
        try (Reranker r = Reranker.load(qwen)) { ours.put(qwen.toString(), r.logits(q, d)); }
        try (Reranker r = Reranker.load(qwenBase)) {
            LoraConfig c = new LoraConfig(4, 8, 0, List.of("all-linear"), false);
            RerankerAdapter.apply(r, c, 3);
            trainTwoSteps(r, RerankerAdapter.trainable(r));
            RerankerAdapter.write(r, c, qwenBase.toString(), qwenAdapter);
            ours.put("peft:" + qwenAdapter, r.logits(q, d));
        }

        ObjectMapper json = new ObjectMapper();
        var job = json.createObjectNode();
        job.putPOJO("pairs", pairs());
        job.putPOJO("cross_encoder", List.of(full.toString(), merged.toString()));
        job.putPOJO("peft", List.of(List.of(base.toString(), adapter.toString())));
        job.putPOJO("causal_lm", List.of(qwen.toString()));
        job.putPOJO("peft_causal_lm", List.of(List.of(qwenBase.toString(), qwenAdapter.toString())));
        Path jobFile = dir.resolve("job.json");
        json.writeValue(jobFile.toFile(), job);
        JsonNode theirs = PythonRef.json("python/load_rerankers.py", jobFile.toString());
        for (var e : ours.entrySet()) {
            double diff = Fixtures.maxDiff(Fixtures.floats(theirs.get(e.getKey())), e.getValue());
            assertTrue(diff < 1e-5, e.getKey() + ": Python's logits differ from embtune's by " + diff);
        }
    }

    static List<List<String>> pairs() {
        List<String> q = RerankerFixtureTest.column(0), d = RerankerFixtureTest.column(1);
        return java.util.stream.IntStream.range(0, q.size()).mapToObj(i -> List.of(q.get(i), d.get(i))).toList();
    }
}
