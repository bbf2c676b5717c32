package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import embtune.Fixtures;
import embtune.data.Record;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GradCache ({@code mini_batch_size}) and gradient checkpointing (alone and inside GradCache
 * chunks) train exactly like one pass, chunk sizes notwithstanding, in every family (without dropout: with it, each way
 * of splitting the step draws its own masks, and checkpointing backpropagates through the masks its forward drew).
 */
@Tag("slow")
class MemoryModesTest {
    static final List<Record> ROWS = List.of(Record.triplet("a man plays guitar", "someone strums", "a dog runs"),
            Record.triplet("the sky is blue", "blue sky today", "stock prices fell"),
            Record.pair("cats sleep a lot", "a sleepy cat"), Record.triplet("hi", "hello", "bye", "farewell"));
    static final int ROWS_TEXTS = 12; // every text of ROWS: one GradCache chunk

    /** Loss and pre-clip grad norm of three AdamW steps. */
    static double[][] run(String fixture, TrainStep.Settings settings) {
        return run(fixture, settings, false);
    }

    static double[][] run(String fixture, TrainStep.Settings settings, boolean lora) {
        return run(Fixtures.withoutDropout(fixture), settings, lora);
    }

    static double[][] run(Path model, TrainStep.Settings settings, boolean lora) {
        try (Embedder m = Embedder.load(model); NDManager out = NDManager.newBaseManager()) {
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

    /**
     * With dropout (tiny-bert's 0.1), checkpointing and one GradCache chunk of every row draw a plain pass's masks (the
     * embeddings and each layer reseeded alike), so they train exactly like it; smaller chunks draw their own.
     */
    @Test
    void withDropoutCheckpointingTrainsLikeOnePass() {
        TrainStep.Settings plain = TrainStep.Settings.of(1.0);
        double[][] want = run(Fixtures.dir("tiny-bert"), plain, false);
        for (TrainStep.Settings s : List.of(plain.gradientCheckpointing(true), plain.miniBatchSize(ROWS_TEXTS),
                plain.gradientCheckpointing(true).miniBatchSize(ROWS_TEXTS))) {
            double[][] got = run(Fixtures.dir("tiny-bert"), s, false);
            for (int i = 0; i < 3; i++) {
                assertEquals(want[i][0], got[i][0], 1e-5, "loss, step " + (i + 1) + " with " + s);
                assertEquals(want[i][1], got[i][1], 1e-4 * want[i][1], "grad norm, step " + (i + 1) + " with " + s);
            }
        }
        double[][] noDropout = run(Fixtures.withoutDropout("tiny-bert"), plain, false), chunks = run(Fixtures.dir("tiny-bert"), plain.miniBatchSize(3), false);
        assertTrue(Math.abs(want[0][0] - noDropout[0][0]) > 1e-3, "dropout changes the loss: " + want[0][0] + " vs " + noDropout[0][0]);
        assertTrue(Math.abs(want[0][0] - chunks[0][0]) > 1e-4, "chunks of 3 draw their own masks");
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
