package embtune.vision;

/** An image that cannot be used, with one line naming the file and why. */
public class ImageError extends RuntimeException {
    public ImageError(String message) {
        super(message);
    }
}
