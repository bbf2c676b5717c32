package embtune.train;

import java.util.Locale;

/**
 * Learning rate at each optimizer step, as transformers' schedulers give it: linear warmup from
 * 0 over {@code warmup} steps, then constant, linear decay to 0, or half a cosine to 0 at
 * {@code total}. Step s (0-based) uses factor f(s).
 */
public record LrSchedule(String type, double peak, int warmup, int total) {
    public LrSchedule {
        type = type.toLowerCase(Locale.ROOT);
        if (!type.equals("constant") && !type.equals("linear") && !type.equals("cosine"))
            throw new IllegalArgumentException("lr_scheduler_type '" + type + "': choose constant, linear or cosine");
    }

    public double at(int step) {
        if (step < warmup) return peak * step / Math.max(1, warmup);
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (type) {
            case "constant" -> peak;
            case "linear" -> peak * Math.max(0, 1 - progress);
            default -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }
}
