package embtune.report;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.data.Dataset;
import embtune.model.Embedder;
import embtune.train.Run;
import embtune.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run with validation data leaves tables, plots and an offline report.html. */
@Tag("slow")
class ReportTest {
    @Test
    void runFolderGetsReportTablesAndPlots(@TempDir Path dir) throws Exception {
        Run run;
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            Trainer t = Trainer.with(m).loss("cosine_similarity").batchSize(8).maxSteps(4).learningRate(1e-3)
                    .outputDir(dir.toString()).logTo(new PrintStream(new ByteArrayOutputStream())).terminal(false);
            t.set("logging_steps", 1);
            t.set("eval_steps", 2);
            t.set("gradient_accumulation_steps", 1);
            run = t.fit(Dataset.load("../datasets/stsb-train.jsonl#64"), Dataset.load("../datasets/stsb-dev.jsonl#40"));
        }
        Path d = run.dir();
        for (String f : new String[] {"loss.png", "lr.png", "eval.png", "similarity.png"}) {
            var img = javax.imageio.ImageIO.read(d.resolve(f).toFile());
            assertNotNull(img, f + " is a PNG");
            assertEquals(f.equals("similarity.png") ? 520 : 720, img.getWidth(), f);
        }
        // the CSV tables hold the logged numbers
        var csv = Files.readAllLines(d.resolve("training.csv"));
        assertEquals(5, csv.size(), "header + 4 steps");
        int lossCol = java.util.Arrays.asList(csv.get(0).split(",")).indexOf("loss");
        for (int i = 1; i <= 4; i++)
            assertEquals(((embtune.train.TrainEvent.Step) run.history().stream().filter(e -> e instanceof embtune.train.TrainEvent.Step).toList().get(i - 1)).loss(),
                    Double.parseDouble(csv.get(i).split(",")[lossCol]), 1e-9, "training.csv row " + i);
        String html = Files.readString(d.resolve("report.html"));
        // a person reads the summary first: model, data, loss, steps, wall time, then the plots and tables
        int summary = html.indexOf("<h2>Summary</h2>");
        assertTrue(summary > 0 && summary < html.indexOf("<h2>Plots</h2>"), "summary first");
        for (String row : new String[] {"<th>model</th><td>" + Fixtures.dir("tiny-bert").toAbsolutePath().normalize(), "<th>data</th><td>../datasets/stsb-train.jsonl#64",
                "<th>loss</th><td>cosine_similarity, full fine-tuning", "<th>learning rate</th><td>1.00e-03 (cosine)", "<th>steps</th><td>4", "<th>wall time</th>"})
            assertTrue(html.contains(row), row + " in the summary");
        assertFalse(html.matches("(?s).*\\d\\.\\d{6,}E-\\d.*"), "no raw doubles like 9.949107209404664E-6");
        assertTrue(html.contains("&quot;learning_rate&quot; : 0.001"), "args.json shows the learning rate applied, not null");
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("<script"), "the report needs no network");
        assertTrue(html.contains("data:image/png;base64,") && html.contains("eval_spearman_cosine") && html.contains("loss_type"));
        assertEquals(2, run.metrics().rowCount());
        assertTrue(run.metrics().columnNames().containsAll(java.util.List.of("eval_loss", "eval_pearson_cosine", "eval_spearman_dot_product")));
        assertEquals(4, run.training().rowCount());
        assertTrue(Files.readAllLines(d.resolve("metrics.csv")).get(0).startsWith("step,eval_loss,eval_pearson_cosine"));
        assertEquals(720, run.plotLoss().getWidth());
    }
}
