package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.engine.Precision;
import embtune.lora.Adapter;
import embtune.lora.Lora;
import embtune.loss.CosineSimilarityLoss;
import embtune.loss.EmbeddingLoss;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --precision bf16 against torch's CPU autocast (bf16.json, see the fixture generator's bf16.py).
 * bf16 has an 8-bit mantissa, so there is no exact answer to match: the reference is the size of
 * the peer's own difference between its bf16 and fp32 results on the same model and data. embtune's
 * bf16 must stay within twice that of fp32 (its rounding happens in other places than torch's, so
 * its error is of the same size, not the same numbers) and must differ from fp32 at all (the products
 * really ran in bfloat16).
 */
class Bf16Test {
    static final JsonNode BF16 = Fixtures.json("bf16.json");
    static final double SLACK = 2.0;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3", "tiny-qwen2", "tiny-bert", "tiny-modernbert"})
    void embeddingsDifferFromFp32AsTorchAutocastsDo(String name) {
        JsonNode e = BF16.get("embeddings").get(name);
        float[][] torch32 = Fixtures.matrix(e.get("fp32")), torch16 = Fixtures.matrix(e.get("bf16"));
        double peer = Fixtures.maxDiff(torch32, torch16);
        List<String> texts = Fixtures.strings(Fixtures.json(name + "/expected.json").get("texts"));
        try (Embedder m = Embedder.load(Fixtures.dir(name))) {
            float[][] fp32 = m.embed(texts).clone();
            assertTrue(Fixtures.maxDiff(fp32, torch32) < 1e-5, "fp32 as sentence-transformers");
            float[][] bf16 = m.precision(Precision.BF16).embed(texts);
            double ours = Fixtures.maxDiff(bf16, torch32);
            assertTrue(ours > 1e-6, name + ": bf16 equals fp32 (" + ours + "): the products did not run in bfloat16");
            assertTrue(ours <= SLACK * peer, name + ": bf16 differs from fp32 by " + ours + ", torch autocast by " + peer);
            assertTrue(Fixtures.maxDiff(bf16, torch16) <= 2 * SLACK * peer, name + ": bf16 against torch's bf16");
        }
    }

    /**
     * GME (text, image and image+text items in one batch): its text tower is Qwen2, so the scale is the peer's
     * bf16-vs-fp32 gap on tiny-qwen2; the vision tower's products run in bf16 too. Then its InfoNCE fixture steps
     * (all parameters, gradient checkpointing in GradCache chunks: the recompute path) within the training rule below,
     * with the fixture's fp32 losses and no peer gap (the rule's 2^-8 of the loss alone).
     */
    @org.junit.jupiter.api.Test
    void gmeItemsAndTrainingStepsInBf16() {
        JsonNode e = BF16.get("embeddings").get("tiny-qwen2");
        double peer = Fixtures.maxDiff(Fixtures.matrix(e.get("fp32")), Fixtures.matrix(e.get("bf16")));
        JsonNode gme = Fixtures.json("tiny-gme/expected.json");
        List<String> items = embtune.vision.GmeFixtureTest.items(gme.get("items"));
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-gme"))) {
            float[][] fp32 = m.embed(items).clone(), bf16 = m.precision(Precision.BF16).embed(items);
            double ours = Fixtures.maxDiff(fp32, bf16);
            assertTrue(ours > 1e-6 && ours <= 2 * SLACK * peer, "GME bf16 differs from fp32 by " + ours + "; the peer on tiny-qwen2 by " + peer);
            m.precision(Precision.FP32);
            JsonNode spec = gme.get("train"), opt = spec.get("optimizer"), want = gme.get("train_results").get("all");
            List<embtune.data.Record> pairs = new java.util.ArrayList<>();
            for (JsonNode p : spec.get("pairs")) {
                List<String> two = embtune.vision.GmeFixtureTest.items(p);
                pairs.add(embtune.data.Record.pair(two.get(0), two.get(1)));
            }
            var params = TrainPlan.fullTrainable(m, false, false);
            AdamW adam = new AdamW(params, m.manager(), opt.get("betas").get(0).asDouble(), opt.get("betas").get(1).asDouble(),
                    opt.get("eps").asDouble(), opt.get("weight_decay").asDouble());
            var settings = TrainStep.Settings.of(opt.get("max_grad_norm").asDouble()).precision(Precision.BF16).miniBatchSize(2).gradientCheckpointing(true);
            try (TrainStep step = new TrainStep(m, new InfoNceLoss(InfoNceOptions.defaults()), params, adam, settings);
                 NDManager out = NDManager.newBaseManager()) {
                for (JsonNode w : want.get("steps")) {
                    double got = step.run(List.of(StepBatch.of(pairs, false)), opt.get("lr").asDouble(), out).loss().getFloat();
                    double fp32Loss = w.get("loss").asDouble();
                    assertTrue(Math.abs(got - fp32Loss) <= Math.pow(2, -8) * Math.abs(fp32Loss) && got != fp32Loss,
                            "GME bf16 step loss " + got + " against fp32's " + fp32Loss);
                }
            }
        }
    }

    /**
     * 20 AdamW steps. A loss computed through bfloat16 products is known to about 2^-8 of itself (8 significant
     * bits), and the updates drift apart over the steps by about the peer's own gap: each step's loss must be
     * within {@code 2^-8 |fp32 loss| + 2 x} the largest gap between torch's bf16 and fp32 runs.
     */
    @ParameterizedTest
    @ValueSource(strings = {"full_cosine_similarity", "full_infonce_in_batch_T0.1", "lora_cosine_similarity"})
    void trainingStaysWithinThePeersBf16Gap(String run) {
        JsonNode steps = Fixtures.json("train_steps.json"), opt = steps.get("optimizer"), want = BF16.get("train").get(run);
        double gap = 0;
        for (int s = 0; s < want.get("fp32").size(); s++)
            gap = Math.max(gap, Math.abs(want.get("fp32").get(s).get("loss").asDouble() - want.get("bf16").get(s).get("loss").asDouble()));
        EmbeddingLoss loss = run.contains("infonce") ? new InfoNceLoss(InfoNceOptions.defaults()) : new CosineSimilarityLoss();
        try (Embedder model = Embedder.load(Fixtures.dir("tiny-qwen3")); NDManager out = NDManager.newBaseManager()) {
            Map<String, Parameter> params;
            if (run.startsWith("lora")) {
                Adapter.load(model, Fixtures.dir("tiny-qwen3-lora"));
                params = Lora.parameters(model.encoder());
            } else params = model.encoder().namedParameters();
            AdamW adam = new AdamW(params, model.manager(), opt.get("betas").get(0).asDouble(), opt.get("betas").get(1).asDouble(),
                    opt.get("eps").asDouble(), opt.get("weight_decay").asDouble());
            var settings = TrainStep.Settings.of(opt.get("max_grad_norm").asDouble()).precision(Precision.BF16);
            double worst = 0, worstRatio = 0;
            try (TrainStep step = new TrainStep(model, loss, params, adam, settings)) {
                for (JsonNode w : want.get("fp32")) {
                    TrainStep.Result r = step.run(List.of(StepBatch.of(TrainStepsFixtureTest.pairs(), loss.wantsPairs())), opt.get("lr").asDouble(), out);
                    double d = Math.abs(r.loss().getFloat() - w.get("loss").asDouble());
                    worst = Math.max(worst, d);
                    worstRatio = Math.max(worstRatio, d / (Math.pow(2, -8) * Math.abs(w.get("loss").asDouble()) + SLACK * gap));
                }
            }
            assertTrue(worst > 0, run + ": bf16 training equals fp32's to the bit");
            assertTrue(worstRatio <= 1, run + ": bf16 losses differ from fp32's by up to " + worst + " (" + worstRatio
                    + " of the tolerance), torch autocast's by up to " + gap);
            assertEquals(Precision.FP32, model.precision(), "the trained model embeds in fp32 again");
        }
    }
}
