package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The batcher's gathering and its workers, with a stand-in model that records each call. */
class DynamicBatcherTest {
    /** A "model" whose vector for input x is {x, x}; it records each batch and how many calls run at once. */
    static final class Recorder implements Function<List<Integer>, float[][]> {
        final List<List<Integer>> batches = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger running = new AtomicInteger(), mostAtOnce = new AtomicInteger();
        final List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch hold = new CountDownLatch(0);

        @Override
        public float[][] apply(List<Integer> inputs) {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            batches.add(List.copyOf(inputs));
            threads.add(Thread.currentThread().getName());
            try {
                assertTrue(hold.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                running.decrementAndGet();
            }
            float[][] out = new float[inputs.size()][];
            for (int i = 0; i < out.length; i++) out[i] = new float[] {inputs.get(i), inputs.get(i)};
            return out;
        }
    }

    @Test
    void requestsArrivingTogetherAreOneBatchEvenWithTwoIdleWorkers() throws Exception {
        Recorder model = new Recorder();
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", model, 64, 1000, 64, 2, () -> {})) {
            List<CompletableFuture<float[][]>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(b.offer(List.of(i, 100 + i)));
                Thread.sleep(10); // time for an idle worker to wake: without the turn it would take the next request
            }
            for (int i = 0; i < 8; i++) {
                float[][] v = answers.get(i).get(10, TimeUnit.SECONDS);
                assertArrayEquals(new float[] {i, i}, v[0], "each request gets its own rows, in order");
                assertArrayEquals(new float[] {100 + i, 100 + i}, v[1]);
            }
            assertEquals(1, model.batches.size(), "one gatherer at a time: the second idle worker did not take half: " + model.batches);
            assertEquals(16, model.batches.get(0).size());
        }
    }

    @Test
    void aSecondWorkerEmbedsWhileTheFirstIsBusyEachAfterItsStartHook() throws Exception {
        Recorder model = new Recorder();
        model.hold = new CountDownLatch(1);
        List<String> started = java.util.Collections.synchronizedList(new ArrayList<>());
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", model, 64, 0, 64, 2, () -> started.add(Thread.currentThread().getName()))) {
            CompletableFuture<float[][]> first = b.offer(List.of(1));
            for (int i = 0; i < 500 && model.running.get() < 1; i++) Thread.sleep(10);
            CompletableFuture<float[][]> second = b.offer(List.of(2)); // the first worker is held inside its pass
            for (int i = 0; i < 500 && model.running.get() < 2; i++) Thread.sleep(10);
            assertEquals(2, model.mostAtOnce.get(), "two passes at once");
            model.hold.countDown();
            assertArrayEquals(new float[] {1, 1}, first.get(10, TimeUnit.SECONDS)[0]);
            assertArrayEquals(new float[] {2, 2}, second.get(10, TimeUnit.SECONDS)[0]);
            assertEquals(2, new java.util.HashSet<>(model.threads).size(), "on two threads: " + model.threads);
            assertTrue(started.containsAll(model.threads), "each worker ran its start hook first: " + started);
        }
    }

    @Test
    void oneWorkerRunsOnePassAtATime() throws Exception {
        Recorder model = new Recorder();
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", model, 1, 0, 64)) {
            List<CompletableFuture<float[][]>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) answers.add(b.offer(List.of(i)));
            for (var a : answers) a.get(10, TimeUnit.SECONDS);
            assertEquals(1, model.mostAtOnce.get());
            assertEquals(6, model.batches.size(), "max batch 1: one input per pass");
        }
    }
}
