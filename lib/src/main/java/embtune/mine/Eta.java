package embtune.mine;

/**
 * Progress of a long step, through {@link embtune.Log}: done/total, rate and time left, at most
 * every few seconds; a step that ends quickly says nothing.
 */
final class Eta {
    private static final long EVERY_NANOS = 5_000_000_000L;

    private final String what;
    private final long total;
    private final long start = System.nanoTime();
    private long last = start;
    private boolean spoke;

    Eta(String what, long total) {
        this.what = what;
        this.total = total;
    }

    void update(long done) {
        long now = System.nanoTime();
        boolean finished = done >= total;
        if (!(now - last >= EVERY_NANOS || finished && spoke)) return;
        last = now;
        spoke = true;
        double secs = (now - start) / 1e9, rate = done / Math.max(secs, 1e-9);
        long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        embtune.Log.info(String.format("%s: %,d/%,d (%,.0f/s%s)", what, done, total, rate,
                finished ? String.format(", %.1f s", secs) : String.format(", ETA %d:%02d", eta / 60, eta % 60)));
    }
}
