package embtune.hub;

/** A download that cannot go on: what was asked, from where, and what to do about it. */
public class HubError extends RuntimeException {
    public HubError(String message) {
        super(message);
    }

    public HubError(String message, Throwable cause) {
        super(message, cause);
    }
}
