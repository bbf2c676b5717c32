package embtune.train;

import embtune.model.Embedder;
import java.nio.file.Path;
import java.util.List;

/**
 * What a training run left behind: its folder, every logged event, the trained model (still
 * loaded), and its last and best checkpoints.
 */
public record Run(Path dir, List<TrainEvent> history, Embedder model, Path lastCheckpoint,
                  Path bestCheckpoint, boolean interrupted) {
    private embtune.report.History table() {
        return new embtune.report.History(history.stream().map(TrainEvent::toMap).toList());
    }


    /** Evaluation metrics per step (eval_loss, eval_spearman_cosine, ...), a Tablesaw table. */
    public tech.tablesaw.api.Table metrics() {
        return table().evaluation();
    }

    /** Loss, learning rate and gradient norm per logged step, a Tablesaw table. */
    public tech.tablesaw.api.Table training() {
        return table().training();
    }

    /** The loss curve as an image (notebooks show it inline). */
    public java.awt.image.BufferedImage plotLoss() {
        return embtune.report.Plots.image(embtune.report.Plots.loss(table()));
    }

    public Path report() {
        return dir.resolve("report.html");
    }

    /** The last logged value of a key ("loss", "eval_loss", ...), or NaN. */
    public double last(String key) {
        for (int i = history.size() - 1; i >= 0; i--) {
            Object v = history.get(i).toMap().get(key);
            if (v instanceof Number n) return n.doubleValue();
        }
        return Double.NaN;
    }

    @Override
    public String toString() {
        return "Run " + dir + ": " + history.stream().filter(e -> e instanceof TrainEvent.Step).count() + " log points, last loss "
                + String.format("%.4f", last("loss")) + (Double.isNaN(last("eval_loss")) ? "" : String.format(", eval_loss %.4f", last("eval_loss")))
                + (interrupted ? " (interrupted)" : "") + ", last checkpoint " + (lastCheckpoint == null ? "none" : lastCheckpoint.getFileName());
    }
}
