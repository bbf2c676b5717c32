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
    void aBurstIsSplitBetweenTwoWorkersNeitherTakingMoreThanItsShare() throws Exception {
        Recorder model = new Recorder();
        model.hold = new CountDownLatch(1);
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", model, 64, 1000, 64, 2, () -> {})) {
            List<CompletableFuture<float[][]>> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) answers.add(b.offer(List.of(i, 100 + i)));
            // whenever the first gatherer started, at most half of the 32 inputs were its share: the rest wait for the second
            for (int i = 0; i < 500 && model.running.get() < 2; i++) Thread.sleep(10);
            assertEquals(2, model.mostAtOnce.get(), "both workers embed the burst: " + model.batches);
            model.hold.countDown();
            for (int i = 0; i < 16; i++) {
                float[][] v = answers.get(i).get(10, TimeUnit.SECONDS);
                assertArrayEquals(new float[] {i, i}, v[0], "each request gets its own rows, in order");
                assertArrayEquals(new float[] {100 + i, 100 + i}, v[1]);
            }
            for (List<Integer> batch : model.batches) assertTrue(batch.size() <= 16, "a batch over half the burst: " + model.batches);
        }
    }

    @Test
    void aWorkerHoldingEveryWaitingInputDoesNotWaitForCompany() throws Exception {
        Recorder model = new Recorder();
        model.hold = new CountDownLatch(1);
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>("t", model, 64, 60_000, 64)) {
            CompletableFuture<float[][]> first = b.offer(List.of(0));
            for (int i = 0; i < 500 && model.running.get() < 1; i++) Thread.sleep(10);
            List<CompletableFuture<float[][]>> queued = new ArrayList<>();
            for (int i = 1; i <= 5; i++) queued.add(b.offer(List.of(i))); // they arrive while the pass runs
            model.hold.countDown();
            first.get(10, TimeUnit.SECONDS);
            // the five are all there is: the next pass starts at once, not after the 60 s max wait
            for (int i = 0; i < 5; i++) assertArrayEquals(new float[] {i + 1, i + 1}, queued.get(i).get(10, TimeUnit.SECONDS)[0]);
            assertEquals(List.of(List.of(0), List.of(1, 2, 3, 4, 5)), model.batches);
        }
    }

    @Test
    void theShareIsTheInputsInTheServerOverTheWorkersRoundedUp() {
        assertEquals(16, DynamicBatcher.share(16, 1));
        assertEquals(8, DynamicBatcher.share(16, 2));
        assertEquals(9, DynamicBatcher.share(17, 2));
        assertEquals(1, DynamicBatcher.share(1, 2));
        assertEquals(1, DynamicBatcher.share(0, 2), "at least the job in hand");
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
