package embtune.vision;

/** An image that cannot be used, with one line naming the file and why (a model-input error: the CLI prints the line). */
public class ImageError extends embtune.ModelError {
    public ImageError(String message) {
        super(message);
    }
}
