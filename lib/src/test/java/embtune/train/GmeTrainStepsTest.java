package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.data.Record;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;




import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * tiny-gme's InfoNCE steps (text/image pairs, in-batch negatives, AdamW, clipping) against
 * transformers + torch: the language model alone (ms-swift's freeze_vit and freeze_aligner), and
 * everything, which backpropagates through the merger, the vision blocks and the patch embedding;
 * each also with GradCache chunks and gradient checkpointing, which must give the same steps.
 */
@Tag("slow")
class GmeTrainStepsTest {
    @ParameterizedTest
    @CsvSource({"language_model, true, false", "all, false, false", "all, false, true", "language_model, true, true"})
    void matchesTorch(String run, boolean freeze, boolean chunked) {
        JsonNode e = Fixtures.json("tiny-gme/expected.json");
        JsonNode spec = e.get("train"), opt = spec.get("optimizer");
        List<Record> pairs = new ArrayList<>();
        for (JsonNode p : spec.get("pairs")) {
            List<String> two = embtune.vision.GmeFixtureTest.items(p);
            pairs.add(Record.pair(two.get(0), two.get(1)));
        }
        JsonNode want = e.get("train_results").get(run);
        try (Embedder model = Embedder.load(Fixtures.dir("tiny-gme"))) {
            var params = TrainPlan.fullTrainable(model, freeze, freeze);
            long n = 0;
            for (var p : params.values()) n += p.getArray().getShape().size();
            assertEquals(want.get("trainable_parameters").asLong(), n, "trainable parameters");
            assertEquals(InfoNceOptions.defaults().temperature(), spec.get("temperature").asDouble());
            var loss = new InfoNceLoss(InfoNceOptions.defaults());
            AdamW adam = new AdamW(params, model.manager(), opt.get("betas").get(0).asDouble(), opt.get("betas").get(1).asDouble(),
                    opt.get("eps").asDouble(), opt.get("weight_decay").asDouble());
            // chunked: GradCache chunks of 2 rows, each run layer by layer (gradient checkpointing): the same gradients
            var settings = TrainStep.Settings.of(opt.get("max_grad_norm").asDouble());
            if (chunked) settings = settings.miniBatchSize(2).gradientCheckpointing(true);
            try (TrainStep step = new TrainStep(model, loss, params, adam, settings);
                 NDManager out = NDManager.newBaseManager()) {
                StepBatch batch = StepBatch.of(pairs, false);
                for (JsonNode w : want.get("steps")) {
                    TrainStep.Result r = step.run(List.of(batch), opt.get("lr").asDouble(), out);
                    assertEquals(w.get("loss").asDouble(), r.loss().getFloat(), 1e-4, run + " loss");
                    assertEquals(w.get("grad_norm").asDouble(), r.gradNorm().getFloat(), 1e-4 * Math.max(1, w.get("grad_norm").asDouble()), run + " grad_norm");
                }
            }
        }
    }
}
