package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import embtune.loss.RerankerLossType;
import embtune.loss.RerankerOptions;
import embtune.rerank.RerankInputs;
import embtune.rerank.Reranker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** reranker.json's 3-step AdamW runs (torch.optim.AdamW, clip_grad_norm_): loss and pre-clip gradient norm per step within 1e-4. */
public class RerankerTrainStepsTest {
    static final JsonNode TRAIN = Fixtures.json("reranker.json").get("train");

    public static List<String> column(int k) {
        List<String> out = new ArrayList<>();
        TRAIN.get("rows").forEach(r -> out.add(r.get(k).asText()));
        return out;
    }

    public static float[] labels() {
        float[] out = new float[TRAIN.get("rows").size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) TRAIN.get("rows").get(i).get(2).asDouble();
        return out;
    }

    /** Replays one run of the fixture against {@code model}, training {@code params}. */
    public static void replay(String run, Reranker model, Map<String, Parameter> params, RerankerLossType type) {
        JsonNode want = TRAIN.get("runs").get(run), opt = TRAIN.get("optimizer");
        assertEquals(want.get("trainable_parameters").asLong(), params.values().stream().mapToLong(p -> p.getArray().size()).sum(), run + " parameters");
        RerankerOptions options = new RerankerOptions(1, 7, TRAIN.get("temperature").asDouble(), 2, "yes", "no");
        AdamW adam = new AdamW(params, model.manager(), opt.get("betas").get(0).asDouble(), opt.get("betas").get(1).asDouble(),
                opt.get("eps").asDouble(), opt.get("weight_decay").asDouble());
        RerankerTrainStep step = new RerankerTrainStep(model, type.create(options), params, adam, opt.get("max_grad_norm").asDouble());
        RerankInputs.Batch batch = model.inputs().encode(column(0), column(1));
        try (NDManager out = NDManager.newBaseManager()) {
            int k = 1;
            for (JsonNode w : want.get("steps")) {
                TrainStep.Result r = step.run(batch, labels(), opt.get("lr").asDouble(), out);
                assertEquals(w.get("loss").asDouble(), r.loss().getFloat(), 1e-4, run + " step " + k + " loss");
                double norm = w.get("grad_norm").asDouble();
                assertEquals(norm, r.gradNorm().getFloat(), 1e-4 * Math.max(1, norm), run + " step " + k + " grad_norm");
                k++;
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-bert-reranker, pointwise_reranker", "tiny-bert-reranker, listwise_reranker",
            "tiny-modernbert-reranker, pointwise_reranker", "tiny-modernbert-reranker, listwise_reranker",
            "tiny-qwen3-reranker, pointwise_reranker", "tiny-qwen3-reranker, listwise_reranker"})
    void fullTrainingMatchesTorch(String name, String loss) {
        try (Reranker model = Reranker.load(Fixtures.dir(name))) {
            replay(name + " full " + loss, model, model.parameters(), RerankerLossType.parse(loss));
        }
    }
}
