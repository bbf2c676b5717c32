package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import embtune.Fixtures;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import embtune.engine.Precision;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** float16 compute with float32 master weights and dynamic loss scaling, checked on the CPU. */
@Tag("slow")
class Fp16Test {
    static final List<String> TEXTS = List.of("a man plays guitar", "someone strums a guitar", "the sky is blue today");

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3", "tiny-bert", "tiny-modernbert"})
    void fp16EmbeddingsFollowFp32(String fixture) {
        try (Embedder m = Embedder.load(Fixtures.dir(fixture))) {
            float[][] full = m.embed(TEXTS);
            float[][] half = m.precision(Precision.FP16).embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                double cos = Embedder.cosine(full[i], half[i]);
                assertTrue(cos > 0.999, fixture + " text " + i + ": fp16 vs fp32 cosine " + cos);
            }
            // the weights the optimizer sees stay float32
            m.encoder().namedParameters().values().forEach(p -> assertEquals(DataType.FLOAT32, p.getArray().getDataType()));
        }
    }

    @Test
    void fp16StepsTrackFp32Steps() {
        double[][] full = MemoryModesTest.run("tiny-qwen3", TrainStep.Settings.of(1.0));
        // scale 1: this tiny model's gradients (norm ~180) fit float16 unscaled; 2^16 would overflow (see below)
        TrainStep.Settings fp16 = TrainStep.Settings.of(1.0).precision(Precision.FP16).initialLossScale(1.0);
        double[][] half = MemoryModesTest.run("tiny-qwen3", fp16);
        double[][] halfCkpt = MemoryModesTest.run("tiny-qwen3", fp16.gradientCheckpointing(true));
        for (int i = 0; i < 3; i++) {
            assertEquals(full[i][0], half[i][0], 5e-2 * Math.abs(full[i][0]), "loss, step " + (i + 1)); // lr 1e-3 on a tiny model amplifies fp16 rounding
            assertEquals(full[i][1], half[i][1], 5e-2 * full[i][1], "grad norm (unscaled), step " + (i + 1));
            assertEquals(half[i][0], halfCkpt[i][0], 1e-3 * Math.abs(half[i][0]), "fp16 + checkpointing loss, step " + (i + 1));
        }
    }

    @Test
    void theDefaultScaleBacksOffUntilGradientsFit() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3")); NDManager out = NDManager.newBaseManager()) {
            var params = m.encoder().namedParameters();
            float before = params.get("norm.weight").getArray().sum().getFloat();
            AdamW adam = new AdamW(params, m.manager(), 0.9, 0.95, 1e-8, 0.1);
            var settings = TrainStep.Settings.of(1.0).precision(Precision.FP16);
            try (TrainStep step = new TrainStep(m, new InfoNceLoss(InfoNceOptions.defaults()), params, adam, settings)) {
                for (int i = 0; i < 12; i++) {
                    var r = step.run(List.of(StepBatch.of(MemoryModesTest.ROWS, false)), 1e-3, out);
                    assertTrue(Float.isFinite(r.loss().getFloat()), "the forward pass itself stays finite");
                }
                long skipped = step.scaler().skipped();
                assertTrue(skipped >= 1 && skipped < 12, "some overflowed steps skipped, then training goes on: " + skipped);
                assertEquals(65536.0 / Math.pow(2, skipped), step.scaler().currentScale(), 1e-3, "halved once per skipped step");
            }
            assertNotEquals(before, params.get("norm.weight").getArray().sum().getFloat(), "applied steps moved the weights");
        }
    }

    @Test
    void overflowSkipsTheStepAndHalvesTheScale() {
        try (NDManager m = NDManager.newBaseManager(); LossScaler scaler = LossScaler.dynamic(m)) {
            NDArray w = m.create(new float[] {1f, -2f});
            Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
            p.setArray(w);
            w.setRequiresGradient(true);
            AdamW adam = new AdamW(Map.of("w", p), m, 0.9, 0.999, 1e-8, 0.1);
            // 1. an overflowed gradient: nothing moves, the step is counted as skipped, the scale halves
            setGradient(p, new float[] {Float.POSITIVE_INFINITY, 1f});
            NDArray norm = Gradients.clipGlobalNorm(List.of(p), 1.0, scaler.scale());
            adam.step(1e-2, scaler.update(norm));
            assertArrayEquals(new float[] {1f, -2f}, p.getArray().toFloatArray());
            assertEquals(0f, adam.state().get("exp_avg.w").abs().sum().getFloat());
            assertEquals(1, scaler.skipped());
            assertEquals(32768f, scaler.currentScale());
            // 2. a finite gradient afterwards: the first applied step, bias-corrected as step 1
            assertNull(ai.djl.pytorch.jni.JniUtils.getGradient((ai.djl.pytorch.engine.PtNDArray) p.getArray()),
                    "the step consumed the overflowed gradient (torch: grad is None), inf and NaN with it");
            assertArrayEquals(new float[] {1f, -2f}, p.getArray().toFloatArray(), "the weights stay");
            assertTrue(embtune.engine.Torch.requiresGrad(p.getArray()), "and still take gradients");
            setGradient(p, new float[] {0.5f * 32768f, -0.25f * 32768f}); // as if backward(loss * scale)
            norm = Gradients.clipGlobalNorm(List.of(p), 0.0, scaler.scale());
            assertEquals(Math.hypot(0.5, 0.25), norm.getFloat(), 1e-6, "the norm is measured unscaled");
            adam.step(1e-2, scaler.update(norm));
            // torch.optim.AdamW step 1: p*(1-lr*wd) - lr * g/|g| (m_hat/sqrt(v_hat) = sign(g))
            float[] got = p.getArray().toFloatArray();
            assertEquals(1f * (1 - 1e-3f) - 1e-2f, got[0], 1e-6);
            assertEquals(-2f * (1 - 1e-3f) + 1e-2f, got[1], 1e-6);
            assertEquals(1, scaler.skipped());
            assertEquals(32768f, scaler.currentScale());
        }
    }

    @Test
    void theScalerStateSurvivesACheckpoint(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); LossScaler a = LossScaler.dynamic(m); LossScaler b = LossScaler.dynamic(m)) {
            for (int i = 0; i < 3; i++) a.update(m.create(Float.NaN));   // three overflows: scale 2^13, 3 skipped
            for (int i = 0; i < 5; i++) a.update(m.create(1f));          // five clean steps: tracker 5
            NDArray w = m.create(new float[] {1f, 2f});
            AdamW adam = new AdamW(Map.of("w", wrap(w)), m, 0.9, 0.999, 1e-8, 0.1);
            Map<String, NDArray> tensors = new java.util.LinkedHashMap<>(adam.state());
            tensors.putAll(a.state());
            embtune.weights.SafetensorsWriter.write(dir.resolve(Checkpoint.OPTIMIZER), tensors, Map.of("step", "8"));
            AdamW resumed = new AdamW(Map.of("w", wrap(w)), m, 0.9, 0.999, 1e-8, 0.1);
            Checkpoint.loadOptimizer(dir, resumed, b, m); // one read restores the optimizer and the scaler
            assertEquals(8, resumed.steps());
            assertEquals(8192f, b.currentScale());
            assertEquals(3, b.skipped());
            assertEquals(5f, b.state().get("scaler.growth_tracker").getFloat());
        }
    }

    /** Leaves exactly {@code g} in p's gradient, by backpropagating sum(w * g). */
    static void setGradient(Parameter p, float[] g) {
        embtune.engine.Torch.dropGradient(p);
        NDArray w = p.getArray();
        try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            gc.backward(w.mul(w.getManager().create(g)).sum());
        }
    }

    static Parameter wrap(NDArray w) {
        Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
        p.setArray(w);
        return p;
    }
}
