package embtune.train;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.cli.TrainCommandAccess;
import embtune.data.Record;
import embtune.lora.Adapter;
import embtune.rerank.Reranker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --task_type reranker end to end on tiny-bert-reranker: groups, steps, before/after metrics, checkpoints that reload. */
class RerankerTrainingTest {
    @TempDir Path dir;

    Path data() throws Exception {
        Path f = dir.resolve("rerank.jsonl");
        Files.writeString(f, String.join("\n",
                "{\"query\": \"Return the arc cosine\", \"response\": \"Return the arc cosine of z.\", \"rejected_response\": [\"Exact matching of IP addresses.\", \"The base class of the class hierarchy.\", \"Internal placeholder for ...\"]}",
                "{\"query\": \"How is debugging information written?\", \"response\": \"Debugging information is written to sys.stderr.\", \"rejected_response\": [\"Parse the '227' response for a PASV request.\", \"This class can be safely subclassed in a limited fashion.\"]}",
                "{\"query\": \"iterate over lines\", \"response\": \"IOBase objects can be iterated over yielding the lines in a stream.\", \"rejected_response\": [\"Return the name of the terminal device connected to 'fd'.\"]}") + "\n");
        return f;
    }

    @Test
    void aGroupIsThePositiveThenAtMostMaxNegativesDrawnWithoutReplacement() {
        Record r = Record.triplet("q", "p", "n1", "n2", "n3", "n4");
        RerankerTraining.Group g = RerankerTraining.group(r, 2, new Random(1));
        assertEquals("p", g.documents().get(0));
        assertEquals(3, g.documents().size());
        assertEquals(2, g.documents().subList(1, 3).stream().distinct().filter(d -> d.startsWith("n")).count());
        assertEquals(List.of("p", "n1", "n2", "n3", "n4"), RerankerTraining.group(r, 7, new Random(1)).documents());
    }

    @Test
    @org.junit.jupiter.api.Tag("slow") // two training runs with evaluation and checkpoints
    void fullAndLoraRunsSaveCheckpointsThatReload() throws Exception {
        Path data = data();
        String model = Fixtures.dir("tiny-bert-reranker").toString();
        for (String type : List.of("full", "lora")) {
            var result = TrainCommandAccess.trainReranker("--task_type", "reranker", "--loss_type", "listwise_reranker", "--model", model,
                    "--dataset", data.toString(), "--val_dataset", data.toString(), "--max_steps", "3", "--per_device_train_batch_size", "2",
                    "--learning_rate", "1e-3", "--train_type", type, "--output_dir", dir.resolve(type).toString(), "--logging_steps", "1");
            assertEquals(3, result.losses().size());
            assertTrue(result.before().containsKey("mrr@10") && result.after().containsKey("ndcg@10"), result.toString());
            Path ckpt = result.checkpoint();
            String report = Files.readString(ckpt.getParent().resolve("report.html"));
            assertTrue(report.contains("eval_mrr@10") && report.contains("Training log"), "the run's report has the before/after metrics");
            assertEquals(type.equals("lora"), Adapter.isAdapter(ckpt), ckpt.toString());
            try (Reranker r = embtune.cli.TrainCommandAccess.loadReranker(ckpt.toString())) {
                assertEquals(result.after(), RerankerTraining.evaluate(r, embtune.data.Dataset.load(data.toString())), "the checkpoint scores as the trained model did");
            }
        }
    }

    @Test
    void theTaskMustMatchTheModel() {
        var e = assertThrows(RuntimeException.class, () -> TrainCommandAccess.trainReranker("--task_type", "generative_reranker",
                "--model", Fixtures.dir("tiny-bert-reranker").toString(), "--dataset", data().toString(), "--max_steps", "1",
                "--output_dir", dir.toString()));
        assertTrue(e.getMessage().contains("is a cross-encoder (use --task_type reranker)"), e.getMessage());
    }
}
