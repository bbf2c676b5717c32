package embtune.train;

/**
 * A setting that cannot be used, named the way the command line spells it: {@code --learning_rate:
 * -1 is not allowed; it must be > 0}. The CLI treats it as a usage error (exit 2).
 */
public final class ConfigError extends IllegalArgumentException {
    public ConfigError(String flag, Object value, String rule) {
        this("--" + flag + ": " + (value instanceof String ? "'" + value + "'" : value) + " is not allowed; " + rule);
    }

    public ConfigError(String message) {
        super(message);
    }
}
