package embtune;

/** A model folder or weights file that cannot be used, with the path and what is wrong. */
public class ModelError extends RuntimeException {
    public ModelError(String message) {
        super(message);
    }

    public ModelError(String message, Throwable cause) {
        super(message, cause);
    }
}
