package embtune.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Requests from many clients, embedded together: one worker thread takes the oldest waiting job,
 * then keeps taking jobs until {@code maxBatch} inputs are gathered or {@code maxWaitMs} has passed
 * since the first, and embeds them in one call (which sorts by length, so little is padded). The
 * queue is bounded: when it is full a job is refused at once ({@link #offer} returns null), never
 * queued without end.
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
    private final Thread worker;
    private volatile boolean closing;
    private long batches, inputs;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

    public DynamicBatcher(String name, Function<List<I>, float[][]> embed, int maxBatch, long maxWaitMs, int maxQueued) {
        this.queue = new ArrayBlockingQueue<>(maxQueued);
        this.embed = embed;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        this.worker = new Thread(this::work, "embtune-batcher-" + name);
        worker.setDaemon(true);
        worker.start();
    }

    /** Queues a request; null when the queue is full or the batcher is closing (the caller answers 503). */
    public CompletableFuture<float[][]> offer(List<I> inputs) {
        if (closing) return null;
        Job<I> job = new Job<>(List.copyOf(inputs), new CompletableFuture<>());
        if (!queue.offer(job)) return null;
        pending.incrementAndGet();
        job.result().whenComplete((v, e) -> pending.decrementAndGet());
        return job.result();
    }

    private void work() {
        while (!closing || !queue.isEmpty()) {
            Job<I> first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) continue;
            List<Job<I>> jobs = new ArrayList<>(List.of(first));
            int count = first.inputs().size();
            long deadline = System.nanoTime() + maxWaitNanos;
            while (count < maxBatch) {
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
            run(jobs, count);
        }
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

    /** Takes no new jobs, finishes the queued ones (for up to five minutes), then stops the worker. */
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
            worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job<I> j; (j = queue.poll()) != null; )
            j.result().completeExceptionally(new ApiError(503, "the server is shutting down; this request was not run", "server_error", null, "shutting_down"));
    }
}
