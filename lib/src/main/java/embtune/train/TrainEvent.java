package embtune.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the training loop reports, a record per kind. Steps and evaluations are written to
 * logging.jsonl and trainer_state.json's log_history with transformers' keys ({@link #toMap});
 * a save is told to listeners only.
 */
public sealed interface TrainEvent {
    int step();

    double epoch();

    /** The event as a log_history entry (transformers' keys). */
    Map<String, Object> toMap();

    /**
     * The mean loss of the steps since the last one logged, with the last gradient norm (null when
     * fp16 skipped that step on overflow), the learning rate and speed; fp16 adds its loss scale
     * and the steps it skipped so far.
     */
    record Step(int step, double epoch, double loss, Double gradNorm, double learningRate, double itPerSecond,
                double elapsedSeconds, Double lossScale, Long skippedSteps) implements TrainEvent {
        @Override
        public Map<String, Object> toMap() {
            Map<String, Object> m = head(step, epoch);
            m.put("loss", loss);
            m.put("grad_norm", gradNorm);
            if (lossScale != null) {
                m.put("loss_scale", lossScale);
                m.put("skipped_steps", skippedSteps);
            }
            m.put("learning_rate", learningRate);
            m.put("it_per_s", itPerSecond);
            m.put("elapsed_s", elapsedSeconds);
            return m;
        }
    }

    /** eval_loss and the data kind's metrics on the validation set, keyed eval_* as transformers names them. */
    record Eval(int step, double epoch, Map<String, Double> metrics) implements TrainEvent {
        public Eval {
            metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }

        public double loss() {
            return metrics.get("eval_loss");
        }

        @Override
        public Map<String, Object> toMap() {
            Map<String, Object> m = head(step, epoch);
            m.putAll(metrics);
            return m;
        }
    }

    /** A checkpoint was written. */
    record Save(int step, double epoch, Path checkpoint) implements TrainEvent {
        @Override
        public Map<String, Object> toMap() {
            Map<String, Object> m = head(step, epoch);
            m.put("checkpoint", checkpoint.toString());
            return m;
        }
    }

    /** An entry read back from log_history or logging.jsonl (a resumed run's past). */
    static TrainEvent fromMap(Map<String, Object> m) {
        int step = ((Number) m.get("step")).intValue();
        double epoch = m.get("epoch") instanceof Number n ? n.doubleValue() : 0;
        if (m.containsKey("eval_loss")) {
            Map<String, Double> metrics = new LinkedHashMap<>();
            m.forEach((k, v) -> {
                if (k.startsWith("eval_") && v instanceof Number n) metrics.put(k, n.doubleValue());
            });
            return new Eval(step, epoch, metrics);
        }
        if (m.containsKey("checkpoint")) return new Save(step, epoch, Path.of((String) m.get("checkpoint")));
        return new Step(step, epoch, number(m, "loss"), m.get("grad_norm") instanceof Number g ? g.doubleValue() : null,
                number(m, "learning_rate"), number(m, "it_per_s"), number(m, "elapsed_s"),
                m.get("loss_scale") instanceof Number s ? s.doubleValue() : null,
                m.get("skipped_steps") instanceof Number k ? k.longValue() : null);
    }

    private static double number(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static Map<String, Object> head(int step, double epoch) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("epoch", Math.round(epoch * 1e4) / 1e4);
        return m;
    }
}
