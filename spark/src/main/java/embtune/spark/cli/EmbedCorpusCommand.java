package embtune.spark.cli;

import embtune.cli.Cli;
import embtune.spark.Corpus;
import embtune.spark.EmbedCorpus;
import embtune.spark.ModelSource;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * {@code embed-corpus --model M --input CORPUS --output DIR.parquet}: embeds a corpus on Spark. By
 * default Spark runs inside this command ({@code --master local[*]}, nothing to install); the same
 * class is the main of the jar for {@code spark-submit --master spark://...|yarn|k8s://...}.
 */
public final class EmbedCorpusCommand {
    private EmbedCorpusCommand() {}

    static Cli cli() {
        return new Cli("embed-corpus", "embed a corpus on Spark and write Parquet (ids, text, embedding)")
                .option("model", null, "model folder or hub id; default: the bundled all-MiniLM-L6-v2")
                .option("adapters", null, "PEFT LoRA adapter folder to apply (its base is --model, or the one it records)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope")
                .option("input", null, "the corpus: JSON lines, Parquet, or text lines (a file, folder or glob Spark reads)")
                .option("input_format", "auto", "auto (by the name: .jsonl/.json, .parquet, else text lines), jsonl, parquet or text")
                .option("output", null, "the Parquet folder to write")
                .option("mode", "error", "error (refuse an output that exists) or overwrite")
                .option("text_column", "text", "the column to embed (JSON lines, Parquet)")
                .option("id_column", null, "id column(s) to keep, repeatable; default: id or _id if present (text lines: line)")
                .option("image_column", "image", "image path column, used when present (GME models; relative to the input file)")
                .option("batch_size", "32", "texts per forward pass")
                .option("max_length", null, "tokens per text (default: the model's)")
                .flag("query", "embed as queries: prepend the model's query prompt")
                .option("master", null, "Spark master (default local[*]; spark-submit's when run by it)")
                .option("partitions", null, "partitions to embed in (default: at least the cluster's cores)")
                .option("ship_model", "auto", "send the model folder to executors: auto (unless local), true, or false (a path every executor sees)");
    }

    public static void main(String[] argv) {
        SparkMain.quietLogs();
        cli().run(argv, EmbedCorpusCommand::run);
    }

    static void run(Cli.Args a) throws Exception {
        if (!a.has("input")) throw new Cli.UsageError("--input is required");
        if (!a.has("output")) throw new Cli.UsageError("--output is required");
        String mode = a.get("mode").toLowerCase(Locale.ROOT);
        if (!mode.equals("error") && !mode.equals("overwrite")) throw new Cli.UsageError("--mode must be error or overwrite");
        ModelSource model = ModelSource.resolve(a.get("model"), a.get("adapters"), Cli.hub(a))
                .batchSize(a.integer("batch_size")).maxLength(a.has("max_length") ? a.integer("max_length") : null).query(a.bool("query"));
        Corpus.Columns columns = new Corpus.Columns(a.given("id_column") ? a.all("id_column") : java.util.List.of(),
                a.get("text_column"), a.get("image_column"));
        boolean own = !SparkMain.running();
        SparkSession spark = SparkMain.session("embed-corpus", a.get("master"));
        try {
            EmbedCorpus.Result r = embtune.spark.SparkFailures.rethrowCause(() -> EmbedCorpus.of(model).input(a.get("input")).output(a.get("output"))
                    .format(a.get("input_format")).columns(columns).overwrite(mode.equals("overwrite"))
                    .ship(SparkMain.ship(a.get("ship_model"))).partitions(a.has("partitions") ? a.integer("partitions") : null)
                    .run(spark));
            System.err.println("embed-corpus: " + r + " with " + model);
        } finally {
            if (own) spark.stop();
        }
    }
}
