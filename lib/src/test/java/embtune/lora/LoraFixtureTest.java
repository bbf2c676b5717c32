package embtune.lora;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.loss.CosineSimilarityLoss;
import embtune.model.Embedder;
import embtune.model.Presets;
import embtune.model.Encoder;
import embtune.nn.Linear;
import embtune.train.AdamW;
import embtune.train.StepBatch;
import embtune.train.TrainStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraFixtureTest {
    static final JsonNode E = Fixtures.json("tiny-qwen3-lora/expected.json");
    static final Path ADAPTER = Fixtures.dir("tiny-qwen3-lora");
    static final List<String> TEXTS = Fixtures.strings(E.get("texts"));

    @Test
    void peftAdapterReproducesItsEmbeddings() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            assertTrue(Fixtures.maxDiff(m.embed(TEXTS), Fixtures.matrix(E.get("embeddings_base"))) < 1e-5);
            LoraConfig c = Adapter.load(m, ADAPTER);
            assertEquals(2.0, c.scaling());
            assertEquals(E.get("scaling").asDouble(), c.scaling());
            double d = Fixtures.maxDiff(m.embed(TEXTS), Fixtures.matrix(E.get("embeddings_with_adapter")));
            assertTrue(d < 1e-5, "with adapter: " + d);
        }
    }

    @Test
    void mergeReproducesEmbeddingsAndWeightSums() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            Adapter.load(m, ADAPTER);
            assertEquals(14, Lora.merge(m.encoder()));
            assertTrue(Lora.parameters(m.encoder()).isEmpty(), "adapters are gone after merging");
            double d = Fixtures.maxDiff(m.embed(TEXTS), Fixtures.matrix(E.get("embeddings_merged")));
            assertTrue(d < 1e-5, "merged: " + d);
            JsonNode sums = E.get("merged_weight_checksums");
            var params = m.encoder().namedParameters();
            assertEquals(sums.size(), params.size());
            sums.fields().forEachRemaining(s -> {
                double sum = 0;
                for (float v : params.get(s.getKey()).getArray().toFloatArray()) sum += v;
                assertEquals(s.getValue().asDouble(), sum, 1e-4, s.getKey());
            });
        }
    }

    @Test
    void loraTrainingStepsMatchTrainStepsJson() {
        JsonNode steps = Fixtures.json("train_steps.json"), opt = steps.get("optimizer");
        List<String> rows = Fixtures.strings(steps.get("rows"));
        float[] labels = Fixtures.floats(steps.get("labels"));
        List<embtune.data.Record> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < labels.length; i++) pairs.add(embtune.data.Record.pair(rows.get(2 * i), rows.get(2 * i + 1), labels[i]));
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3")); NDManager out = NDManager.newBaseManager()) {
            Adapter.load(m, ADAPTER);
            var trainable = Lora.parameters(m.encoder());
            long count = trainable.values().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals(steps.get("lora_trainable_parameters").asLong(), count);
            AdamW adam = new AdamW(trainable, m.manager(), 0.9, 0.95, 1e-8, 0.1);
            assertEquals(28, adam.state().size() / 2, "moments only for the 28 adapter matrices");
            try (TrainStep step = new TrainStep(m, new CosineSimilarityLoss(), trainable, adam, opt.get("max_grad_norm").asDouble())) {
                for (JsonNode want : steps.get("lora_cosine_similarity")) {
                    var r = step.run(List.of(StepBatch.of(pairs, true)), opt.get("lr").asDouble(), out);
                    assertEquals(want.get("loss").asDouble(), r.loss().getFloat(), 1e-4, "loss");
                    assertEquals(want.get("grad_norm").asDouble(), r.gradNorm().getFloat(), 1e-4 * Math.max(1, want.get("grad_norm").asDouble()), "grad_norm");
                }
            }
            // base weights did not move
            var base = m.encoder().namedParameters().get("layers.0.self_attn.q_proj.weight").getArray().toFloatArray();
            try (Embedder fresh = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
                assertArrayEquals(fresh.encoder().namedParameters().get("layers.0.self_attn.q_proj.weight").getArray().toFloatArray(), base);
            }
        }
    }

    @Test
    void qwen3Embedding06bWithRank8Has5046272TrainableParameters() {
        Encoder enc = Encoder.create(Presets.qwen3Embedding06B());
        try (NDManager m = NDManager.newBaseManager()) {
            var targets = Lora.targets(enc, LoraConfig.ALL_LINEAR);
            assertEquals(196, targets.size());
            for (Linear l : targets.values()) l.attachLora(8, 4.0, 0.05, m);
            assertTrue(Lora.trainableSummary(enc).startsWith("trainable params: 5,046,272 ||"), Lora.trainableSummary(enc));
        }
    }

    @Test
    void savedAdapterLoadsBackAndPeftFieldsAreThere(@TempDir Path dir) throws Exception {
        float[][] want;
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            LoraConfig c = Adapter.load(m, ADAPTER);
            want = m.embed(TEXTS);
            Adapter.writeInto(m, c, Fixtures.dir("tiny-qwen3").toString(), dir);
        }
        JsonNode cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals(4, cfg.get("r").asInt());
        assertEquals(7, cfg.get("target_modules").size());
        assertTrue(embtune.weights.Safetensors.open(dir.resolve("adapter_model.safetensors")).tensors()
                .containsKey("base_model.model.layers.1.mlp.down_proj.lora_B.weight"));
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            Adapter.load(m, dir);
            assertTrue(Fixtures.maxDiff(m.embed(TEXTS), want) < 1e-6);
            assertThrows(IllegalStateException.class, () -> m.save(dir.resolve("full"), false), "full save with adapters attached");
        }
    }

    @Test
    void freshAdaptersStartAsTheBaseModel() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            float[][] base = m.embed(TEXTS);
            Lora.apply(m, LoraConfig.defaults().targets(List.of("q_proj", "v_proj")), 0);
            assertEquals(4, Lora.parameters(m.encoder()).size() / 2, "q and v in 2 layers");
            assertTrue(Fixtures.maxDiff(m.embed(TEXTS), base) < 1e-7, "B = 0 makes the adapter a no-op at first");
            var msg = assertThrows(IllegalArgumentException.class, () -> Lora.targets(m.encoder(), List.of("query"))).getMessage();
            assertTrue(msg.contains("[query] match no linear layer"), msg);
        }
    }
}
