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
