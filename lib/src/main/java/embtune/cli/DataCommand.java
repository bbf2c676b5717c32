package embtune.cli;

import embtune.data.Columns;
import embtune.data.Dataset;
import embtune.data.LoadOptions;
import embtune.loss.LossType;

/** {@code data DATASET...}: what each data set is, which loss fits, and its summary table. */
public final class DataCommand {
    private DataCommand() {}

    static Cli cli() {
        return new Cli("data", "inspect data sets: kind, recommended loss, lengths and labels")
                .positionals("DATASET", "path[:subset][#N] of a .jsonl, .json, .csv or .tsv file")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("loss_type", "auto", "check that this loss can learn from the data")
                .alias("loss", "loss_type")
                .option("columns", null, "CSV columns: anchor,positive[,label] or anchor=..,positive=..,label=..,scale=5")
                .flag("skip_invalid", "skip invalid rows (counted and reported) instead of stopping");
    }

    public static void main(String[] argv) {
        Cli cli = cli();
        cli.run(argv, a -> {
            if (a.positionals().isEmpty()) throw new Cli.UsageError("give at least one DATASET");
            LoadOptions opts = LoadOptions.defaults().skipInvalid(a.bool("skip_invalid")).hub(Cli.hub(a))
                    .columns(a.has("columns") ? Columns.parse(a.get("columns")) : null);
            for (String spec : a.positionals()) {
                Dataset d = Dataset.load(spec, opts);
                System.out.println(d);
                String report = d.loadReport().toString();
                if (!report.isEmpty()) System.out.println(report);
                System.out.println(d.summary().print());
                if (a.get("loss_type").equals("auto")) {
                    System.out.println("loss auto -> " + d.recommendedLoss());
                } else {
                    LossType t = LossType.parse(a.get("loss_type"));
                    d.requireFits(t);
                    System.out.println("loss " + t.id() + " fits this data");
                }
                System.out.println();
            }
        });
    }
}
