package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import embtune.Fixtures;
import embtune.data.Record;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GradCache gives the same loss and gradients as one pass, chunk size notwithstanding. */
class CachedLossTest {
    static double[][] run(Integer miniBatch) {
        List<Record> rows = List.of(Record.triplet("a man plays guitar", "someone strums", "a dog runs"),
                Record.triplet("the sky is blue", "blue sky today", "stock prices fell"),
                Record.pair("cats sleep a lot", "a sleepy cat"), Record.triplet("hi", "hello", "bye", "farewell"));
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3")); NDManager out = NDManager.newBaseManager()) {
            var params = m.encoder().namedParameters();
            AdamW adam = new AdamW(params, m.manager(), 0.9, 0.95, 1e-8, 0.1);
            double[][] got = new double[3][2];
            try (TrainStep step = new TrainStep(m, new InfoNceLoss(InfoNceOptions.defaults()), params, adam, 1.0, miniBatch)) {
                for (int i = 0; i < 3; i++) {
                    var r = step.run(List.of(StepBatch.of(rows, false)), 1e-3, out);
                    got[i][0] = r.loss().getFloat();
                    got[i][1] = r.gradNorm().getFloat();
                }
            }
            return got;
        }
    }

    @Test
    void cachedEqualsOnePass() {
        double[][] plain = run(null);
        for (Integer chunk : new Integer[] {3, 5}) {
            double[][] cached = run(chunk);
            for (int i = 0; i < 3; i++) {
                assertEquals(plain[i][0], cached[i][0], 1e-5, "loss, step " + (i + 1) + ", chunks of " + chunk);
                assertEquals(plain[i][1], cached[i][1], 1e-4 * plain[i][1], "grad norm, step " + (i + 1) + ", chunks of " + chunk);
            }
        }
    }
}
