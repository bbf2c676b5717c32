package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class EvalCommandTest {
    @Test
    @Tag("slow") // embeds the whole retrieval corpus, with two models
    void modelsSideBySideWithPairedAndRetrievalMetrics() throws Exception {
        var t = EvalCommand.run(EvalCommand.cli().parse("--model", Fixtures.dir("tiny-bert").toString(),
                "--model", Fixtures.dir("tiny-modernbert").toString(), "--dataset", "../datasets/stsb-test.jsonl#200",
                "--retrieval", "../datasets/stsb-retrieval-test"));
        assertEquals(List.of("metric", "tiny-bert", "tiny-modernbert"), t.columnNames());
        assertEquals("pearson_cosine", t.stringColumn("metric").get(0));
        assertTrue(t.stringColumn("metric").asList().containsAll(List.of("spearman_dot_product", "ndcg@10", "mrr@10", "map@100")));
        for (int r = 0; r < t.rowCount(); r++) assertFalse(t.doubleColumn("tiny-bert").isMissing(r));
    }

    /** The same table whichever engine runs the passes (ONNX Runtime's vectors are libtorch's to 1e-5). */
    @Test
    void onnxRuntimeGivesTheSameMetrics() throws Exception {
        String[] common = {"--model", Fixtures.dir("tiny-bert").toString(), "--dataset", "../datasets/stsb-test.jsonl#100"};
        var pt = EvalCommand.run(EvalCommand.cli().parse(common));
        String[] ort = java.util.Arrays.copyOf(common, common.length + 2);
        ort[common.length] = "--infer_backend";
        ort[common.length + 1] = "onnxruntime";
        var onnx = EvalCommand.run(EvalCommand.cli().parse(ort));
        assertEquals(pt.stringColumn("metric").asList(), onnx.stringColumn("metric").asList());
        for (int r = 0; r < pt.rowCount(); r++)
            assertEquals(pt.doubleColumn("tiny-bert").get(r), onnx.doubleColumn("tiny-bert").get(r), 1e-4, pt.stringColumn("metric").get(r));
    }

    @Test
    void binaryDataGetsThresholdMetricsAndInfonceDataGetsMargins() throws Exception {
        var bin = EvalCommand.run(EvalCommand.cli().parse("--model", Fixtures.dir("tiny-bert").toString(),
                "--dataset", "../datasets/stsb-binary-train.jsonl#100"));
        assertTrue(bin.stringColumn("metric").asList().containsAll(List.of("cosine_accuracy", "cosine_f1", "cosine_ap")));
        var nce = EvalCommand.run(EvalCommand.cli().parse("--model", Fixtures.dir("tiny-bert").toString(),
                "--dataset", "../datasets/stsb-infonce-train.jsonl#50"));
        assertEquals(List.of("margin", "mean_neg", "mean_pos", "mrr@10", "accuracy@1"), nce.stringColumn("metric").asList());
    }
}
