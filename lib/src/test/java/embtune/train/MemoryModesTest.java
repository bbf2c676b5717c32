package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import embtune.Fixtures;
import embtune.data.Record;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GradCache ({@code mini_batch_size}) and gradient checkpointing (alone and inside GradCache
 * chunks) train exactly like one pass, chunk sizes notwithstanding, in every family.
 */
@Tag("slow")
class MemoryModesTest {
    static final List<Record> ROWS = List.of(Record.triplet("a man plays guitar", "someone strums", "a dog runs"),
            Record.triplet("the sky is blue", "blue sky today", "stock prices fell"),
            Record.pair("cats sleep a lot", "a sleepy cat"), Record.triplet("hi", "hello", "bye", "farewell"));

    /** Loss and pre-clip grad norm of three AdamW steps. */
    static double[][] run(String fixture, TrainStep.Settings settings) {
        return run(fixture, settings, false);
    }

    static double[][] run(String fixture, TrainStep.Settings settings, boolean lora) {
        try (Embedder m = Embedder.load(Fixtures.dir(fixture)); NDManager out = NDManager.newBaseManager()) {
            if (lora) embtune.lora.Lora.apply(m, new embtune.lora.LoraConfig(4, 8, 0.0, List.of("all-linear"), false), 0);
            var params = lora ? embtune.lora.Lora.parameters(m.encoder()) : m.encoder().namedParameters();
            AdamW adam = new AdamW(params, m.manager(), 0.9, 0.95, 1e-8, 0.1);
            double[][] got = new double[3][2];
            try (TrainStep step = new TrainStep(m, new InfoNceLoss(InfoNceOptions.defaults()), params, adam, settings)) {
                for (int i = 0; i < 3; i++) {
                    var r = step.run(List.of(StepBatch.of(ROWS, false)), 1e-3, out);
                    got[i][0] = r.loss().getFloat();
                    got[i][1] = r.gradNorm().getFloat();
                }
            }
            return got;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3", "tiny-bert", "tiny-modernbert"})
    void checkpointingEqualsOnePass(String fixture) {
        TrainStep.Settings plain = TrainStep.Settings.of(1.0);
        double[][] want = run(fixture, plain);
        for (TrainStep.Settings s : List.of(plain.miniBatchSize(3), plain.miniBatchSize(5), plain.gradientCheckpointing(true),
                plain.gradientCheckpointing(true).miniBatchSize(4))) {
            double[][] got = run(fixture, s);
            for (int i = 0; i < 3; i++) {
                assertEquals(want[i][0], got[i][0], 1e-5, fixture + " loss, step " + (i + 1) + " with " + s);
                assertEquals(want[i][1], got[i][1], 1e-4 * want[i][1], fixture + " grad norm, step " + (i + 1) + " with " + s);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3", "tiny-bert"})
    void checkpointingWorksWithFrozenEmbeddings(String fixture) { // LoRA: the embedding table takes no gradient
        double[][] want = run(fixture, TrainStep.Settings.of(1.0), true);
        double[][] got = run(fixture, TrainStep.Settings.of(1.0).gradientCheckpointing(true), true);
        for (int i = 0; i < 3; i++) {
            assertEquals(want[i][0], got[i][0], 1e-5, fixture + " LoRA loss, step " + (i + 1));
            assertEquals(want[i][1], got[i][1], 1e-4 * want[i][1], fixture + " LoRA grad norm, step " + (i + 1));
        }
    }
}
