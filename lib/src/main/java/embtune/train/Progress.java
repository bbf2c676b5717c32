package embtune.train;

import java.io.PrintStream;

/**
 * Step, loss, lr, it/s and ETA: a bar redrawn in place on a terminal, plain lines otherwise
 * (CI logs, notebooks, pipes).
 */
final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final int total;
    private final long start = System.nanoTime();
    private final int firstStep;

    Progress(PrintStream out, boolean terminal, int total, int firstStep) {
        this.out = out;
        this.terminal = terminal;
        this.total = total;
        this.firstStep = firstStep;
    }

    double itPerSec(int step) {
        double secs = (System.nanoTime() - start) / 1e9;
        return secs <= 0 ? 0 : (step - firstStep) / secs;
    }

    void update(int step, double loss, double lr) {
        double rate = itPerSec(step);
        long eta = rate > 0 ? Math.round((total - step) / rate) : 0;
        String stats = String.format("loss %.4f  lr %.2e  %.2f it/s  ETA %d:%02d", loss, lr, rate, eta / 60, eta % 60);
        if (terminal) {
            int width = 24, done = (int) ((long) width * step / Math.max(1, total));
            out.printf("\rstep %d/%d [%s%s] %s   ", step, total, "#".repeat(done), ".".repeat(width - done), stats);
            if (step >= total) out.println();
        } else {
            out.printf("step %d/%d  %s%n", step, total, stats);
        }
        out.flush();
    }

    void line(String s) {
        if (terminal) out.print("\r");
        out.println(s);
    }

    double elapsed() {
        return (System.nanoTime() - start) / 1e9;
    }
}
