package embtune.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Requests from many clients, embedded together: a worker thread takes the oldest waiting job,
 * then keeps taking jobs until it holds its share of the inputs in the server ({@link #share}: all of
 * them with one worker, half with two), or {@code maxBatch}, or {@code maxWaitMs} has passed since
 * the first, and embeds them in one call (which sorts by length, so little is padded). The
 * queue is bounded: when it is full a job is refused at once ({@link #offer} returns null), never
 * queued without end.
 *
 * <p>With several workers, one gathers while the others embed: the gathering is taken in turn (a
 * lock), and a gatherer leaves the other workers their share, so the requests that arrive during a
 * forward pass are the next batch when a worker is free, and a burst is split between the workers. On a CPU
 * this is what keeps the cores busy: a second pass computes while the first one's answers are
 * written and the next requests read, and each pass runs on its own share of the cores, so a
 * connection thread that takes a core delays one pass instead of stalling every core's part of it.
 *
 * @param <I> one input (a text, or a row of token ids)
 */
public final class DynamicBatcher<I> implements AutoCloseable {
    /** A request's inputs and the promise of their vectors, in order. */
    private record Job<I>(List<I> inputs, CompletableFuture<float[][]> result) {}

    private final BlockingQueue<Job<I>> queue;
    private final Function<List<I>, float[][]> embed;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final List<Thread> workers = new ArrayList<>();
    private final java.util.concurrent.locks.ReentrantLock gathering = new java.util.concurrent.locks.ReentrantLock();
    private volatile boolean closing;
    private long batches, inputs;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    /** Inputs offered and not yet answered: queued, or in a pass. */
    private final java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger();

    public DynamicBatcher(String name, Function<List<I>, float[][]> embed, int maxBatch, long maxWaitMs, int maxQueued) {
        this(name, embed, maxBatch, maxWaitMs, maxQueued, 1, () -> {});
    }

    /**
     * {@code workers} threads embed batches at once, each running {@code onStart} first (where a
     * worker sets, say, how many cores its forward passes use).
     */
    public DynamicBatcher(String name, Function<List<I>, float[][]> embed, int maxBatch, long maxWaitMs, int maxQueued, int workers, Runnable onStart) {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, not " + workers);
        this.queue = new ArrayBlockingQueue<>(maxQueued);
        this.embed = embed;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        for (int i = 0; i < workers; i++) {
            Thread worker = new Thread(() -> {
                onStart.run();
                work();
            }, "embtune-batcher-" + name + (workers > 1 ? "-" + (i + 1) : ""));
            worker.setDaemon(true);
            this.workers.add(worker);
        }
        this.workers.forEach(Thread::start);
    }

    /** Queues a request; null when the queue is full or the batcher is closing (the caller answers 503). */
    public CompletableFuture<float[][]> offer(List<I> inputs) {
        if (closing) return null;
        Job<I> job = new Job<>(List.copyOf(inputs), new CompletableFuture<>());
        if (!queue.offer(job)) return null;
        pending.incrementAndGet();
        outstanding.addAndGet(job.inputs().size());
        job.result().whenComplete((v, e) -> {
            pending.decrementAndGet();
            outstanding.addAndGet(-job.inputs().size());
        });
        return job.result();
    }

    private void work() {
        while (!closing || !queue.isEmpty()) {
            List<Job<I>> jobs;
            try {
                jobs = gather();
            } catch (InterruptedException e) {
                return;
            }
            if (jobs == null) continue;
            int count = 0;
            for (Job<I> j : jobs) count += j.inputs().size();
            run(jobs, count);
        }
    }

    /** The next batch: the oldest job and those that join it within the wait; null when none came within 100 ms. */
    private List<Job<I>> gather() throws InterruptedException {
        if (!gathering.tryLock(100, TimeUnit.MILLISECONDS)) return null;
        try {
            Job<I> first = queue.poll(100, TimeUnit.MILLISECONDS);
            if (first == null) return null;
            List<Job<I>> jobs = new ArrayList<>(List.of(first));
            int count = first.inputs().size();
            long deadline = System.nanoTime() + maxWaitNanos;
            int target = Math.min(maxBatch, share(outstanding.get(), workers.size()));
            while (count < target) {
                Job<I> next = queue.peek();
                if (next != null && count + next.inputs().size() > maxBatch) break; // it starts the next batch
                try {
                    next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    break;
                }
                if (next == null) break;
                jobs.add(next);
                count += next.inputs().size();
            }
            return jobs;
        } finally {
            gathering.unlock();
        }
    }

    /**
     * A gatherer's fair share: the inputs now in the server (queued, or in another worker's pass) over the
     * workers, rounded up. It stops gathering there instead of waiting out max_wait_ms for a full batch: with
     * one worker it takes what is queued and goes (a batch forms while the pass runs, as in
     * text-embeddings-inference); with two, clients answered by one pass are the next pass's batch while the
     * other computes, where one gatherer taking everything left the second worker idle (bench/README.md).
     */
    static int share(int outstanding, int workers) {
        return Math.max(1, (outstanding + workers - 1) / workers);
    }

    private void run(List<Job<I>> jobs, int count) {
        List<I> all = new ArrayList<>(count);
        for (Job<I> j : jobs) all.addAll(j.inputs());
        try {
            float[][] vectors = embed.apply(all);
            int at = 0;
            for (Job<I> j : jobs) {
                float[][] mine = new float[j.inputs().size()][];
                System.arraycopy(vectors, at, mine, 0, mine.length);
                at += mine.length;
                j.result().complete(mine);
            }
            synchronized (this) {
                batches++;
                inputs += count;
            }
        } catch (RuntimeException e) {
            for (Job<I> j : jobs) j.result().completeExceptionally(e);
        }
    }

    /** Jobs offered and not yet answered (queued, or in the batch being embedded). */
    public int pending() {
        return pending.get();
    }

    /** Batches run and inputs embedded so far. */
    public synchronized long[] counts() {
        return new long[] {batches, inputs};
    }

    /** Whether {@link #close} was called: an offer refused now is refused for good, not because the queue is full. */
    public boolean closing() {
        return closing;
    }

    /** Takes no new jobs, finishes the queued ones (for up to five minutes), then stops the workers. */
    @Override
    public void close() {
        close(System.nanoTime() + TimeUnit.MINUTES.toNanos(5));
    }

    /**
     * Takes no new jobs and finishes the queued ones until {@code deadline} (System.nanoTime);
     * jobs still queued then are failed with {@link ApiError} 503 (shutting down), not left waiting.
     */
    public void close(long deadline) {
        closing = true;
        try {
            for (Thread worker : workers) worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job<I> j; (j = queue.poll()) != null; )
            j.result().completeExceptionally(new ApiError(503, "the server is shutting down; this request was not run", "server_error", null, "shutting_down"));
    }
}
