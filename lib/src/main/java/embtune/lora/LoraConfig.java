package embtune.lora;

import java.util.List;

/**
 * LoRA settings with ms-swift's defaults: rank 8, alpha 32, dropout 0.05, all linear layers,
 * scaling alpha/r (alpha/sqrt(r) with rsLoRA).
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean rslora) {
    public static final List<String> ALL_LINEAR = List.of("all-linear");

    public LoraConfig {
        if (r < 1) throw new IllegalArgumentException("lora_rank must be >= 1, got " + r);
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        targetModules = targetModules == null || targetModules.isEmpty() ? ALL_LINEAR : List.copyOf(targetModules);
    }

    public static LoraConfig defaults() {
        return new LoraConfig(8, 32, 0.05, ALL_LINEAR, false);
    }

    public double scaling() {
        return rslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    public LoraConfig rank(int rank) { return new LoraConfig(rank, alpha, dropout, targetModules, rslora); }
    public LoraConfig alpha(double a) { return new LoraConfig(r, a, dropout, targetModules, rslora); }
    public LoraConfig dropout(double d) { return new LoraConfig(r, alpha, d, targetModules, rslora); }
    public LoraConfig targets(List<String> t) { return new LoraConfig(r, alpha, dropout, t, rslora); }
    public LoraConfig rslora(boolean on) { return new LoraConfig(r, alpha, dropout, targetModules, on); }

    @Override
    public String toString() {
        return "LoRA r=" + r + " alpha=" + alpha + " (scaling " + scaling() + (rslora ? ", rsLoRA" : "") + "), dropout " + dropout
                + ", targets " + String.join(",", targetModules);
    }
}
