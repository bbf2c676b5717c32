package embtune.train;

import embtune.model.Embedder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a training run left behind: its folder, every logged event, the trained model (still
 * loaded), and its last and best checkpoints.
 */
public record Run(Path dir, List<Map<String, Object>> history, Embedder model, Path lastCheckpoint,
                  Path bestCheckpoint, boolean interrupted) {

    /** Evaluation metrics per step (eval_loss, eval_spearman_cosine, ...), a Tablesaw table. */
    public tech.tablesaw.api.Table metrics() {
        return new embtune.report.History(history).evaluation();
    }

    /** Loss, learning rate and gradient norm per logged step, a Tablesaw table. */
    public tech.tablesaw.api.Table training() {
        return new embtune.report.History(history).training();
    }

    /** The loss curve as an image (notebooks show it inline). */
    public java.awt.image.BufferedImage plotLoss() {
        return embtune.report.Plots.image(embtune.report.Plots.loss(new embtune.report.History(history)));
    }

    public java.awt.image.BufferedImage plotMetrics() {
        return embtune.report.Plots.image(embtune.report.Plots.evalMetrics(new embtune.report.History(history)));
    }

    public Path report() {
        return dir.resolve("report.html");
    }

    /** The last logged value of a key ("loss", "eval_loss", ...), or NaN. */
    public double last(String key) {
        for (int i = history.size() - 1; i >= 0; i--) {
            Object v = history.get(i).get(key);
            if (v instanceof Number n) return n.doubleValue();
        }
        return Double.NaN;
    }

    @Override
    public String toString() {
        return "Run " + dir + ": " + history.stream().filter(e -> e.containsKey("loss")).count() + " log points, last loss "
                + String.format("%.4f", last("loss")) + (Double.isNaN(last("eval_loss")) ? "" : String.format(", eval_loss %.4f", last("eval_loss")))
                + (interrupted ? " (interrupted)" : "") + ", last checkpoint " + (lastCheckpoint == null ? "none" : lastCheckpoint.getFileName());
    }
}
