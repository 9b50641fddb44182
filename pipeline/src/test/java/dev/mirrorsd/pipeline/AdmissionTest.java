package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admission of a busy generator: requests wait in arrival order for a free slot, a full queue
 * refuses the next one with a clear error, and a waiter that is cancelled leaves the queue.
 */
class AdmissionTest {
    private static CausalLM target;
    private static Generator plain;

    @BeforeAll
    static void load() {
        target = TinyModels.target();
        plain = Generator.of(target, new IdTokenizer(TinyModels.VOCAB), null);
    }

    @AfterAll
    static void close() {
        target.close();
    }

    private static final int[] PROMPT = {5, 6, 7};
    private static final GenerationConfig CONFIG = GenerationConfig.defaults().withMaxNewTokens(6).withIgnoreEos(true);

    /** A request that holds its slot, from its first token until {@code release} opens. */
    private static Future<GenerationResult> holdSlot(ExecutorService pool, Generator generator, CountDownLatch release) {
        CountDownLatch running = new CountDownLatch(1);
        Future<GenerationResult> holder = pool.submit(() -> generator.generateFromIds(PROMPT, CONFIG, (ids, text) -> {
            running.countDown();
            await(release);
        }, new Cancellation()));
        await(running);
        return holder;
    }

    /** Submits a request and returns once it is waiting in the queue, so arrival order is known. */
    private static Future<GenerationResult> enqueue(ExecutorService pool, Generator generator, int id, List<Integer> started,
                                                    Cancellation cancellation) {
        int before = generator.admission().queued();
        Future<GenerationResult> request = pool.submit(() -> generator.generateFromIds(PROMPT, CONFIG, (ids, text) -> {
            if (ids.length > 0 && !started.contains(id)) {
                started.add(id); // its first token: admitted
            }
        }, cancellation));
        waitFor(() -> generator.admission().queued() == before + 1);
        return request;
    }

    @Test
    void shouldAdmitWaitingRequestsInArrivalOrder() throws Exception {
        Generator generator = plain.withAdmission(1, 8);
        ExecutorService pool = Executors.newCachedThreadPool();
        CountDownLatch release = new CountDownLatch(1);
        Future<GenerationResult> holder = holdSlot(pool, generator, release);
        List<Integer> started = Collections.synchronizedList(new ArrayList<>());
        List<Future<GenerationResult>> waiting = new ArrayList<>();
        for (int id = 1; id <= 5; id++) {
            waiting.add(enqueue(pool, generator, id, started, new Cancellation()));
        }
        assertEquals(5, generator.admission().queued());
        assertEquals(List.of(), started, "nobody may start while the only slot is held");
        release.countDown();
        holder.get(1, TimeUnit.MINUTES);
        for (Future<GenerationResult> request : waiting) {
            assertEquals(6, request.get(1, TimeUnit.MINUTES).tokenIds().length);
        }
        assertEquals(List.of(1, 2, 3, 4, 5), started);
        assertEquals(0, generator.admission().queued());
        assertEquals(0, generator.admission().running());
        pool.shutdown();
    }

    @Test
    void shouldRejectARequestWhenTheQueueIsFull() throws Exception {
        Generator generator = plain.withAdmission(1, 2);
        ExecutorService pool = Executors.newCachedThreadPool();
        CountDownLatch release = new CountDownLatch(1);
        Future<GenerationResult> holder = holdSlot(pool, generator, release);
        List<Integer> started = Collections.synchronizedList(new ArrayList<>());
        Future<GenerationResult> first = enqueue(pool, generator, 1, started, new Cancellation());
        Future<GenerationResult> second = enqueue(pool, generator, 2, started, new Cancellation());

        RejectedRequestException e = assertThrows(RejectedRequestException.class, () ->
                generator.generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation()));
        assertTrue(e.getMessage().startsWith("queue full: 2 waiting, limit 2"), e.getMessage());
        assertEquals(2, e.waiting());
        assertEquals(2, generator.admission().queued(), "a refused request takes no place in the queue");

        release.countDown();
        holder.get(1, TimeUnit.MINUTES);
        first.get(1, TimeUnit.MINUTES);
        second.get(1, TimeUnit.MINUTES);
        assertEquals(6, generator.generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation())
                .tokenIds().length, "once the queue drains, requests are served again");
        pool.shutdown();
    }

    @Test
    void aCancelledWaitingRequestLeavesTheQueue() throws Exception {
        Generator generator = plain.withAdmission(1, 4);
        ExecutorService pool = Executors.newCachedThreadPool();
        CountDownLatch release = new CountDownLatch(1);
        Future<GenerationResult> holder = holdSlot(pool, generator, release);
        List<Integer> started = Collections.synchronizedList(new ArrayList<>());
        Cancellation cancelB = new Cancellation();
        Future<GenerationResult> a = enqueue(pool, generator, 1, started, new Cancellation());
        Future<GenerationResult> b = enqueue(pool, generator, 2, started, cancelB);
        Future<GenerationResult> c = enqueue(pool, generator, 3, started, new Cancellation());
        int arrays = target.liveArrays();

        cancelB.cancel();
        GenerationResult cancelled = b.get(10, TimeUnit.SECONDS); // returns while the slot is still held
        assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
        assertEquals(0, cancelled.tokenIds().length);
        assertEquals(2, generator.admission().queued());
        assertEquals(arrays, target.liveArrays(), "a request cancelled in the queue allocates nothing");

        release.countDown();
        holder.get(1, TimeUnit.MINUTES);
        assertEquals(6, a.get(1, TimeUnit.MINUTES).tokenIds().length);
        assertEquals(6, c.get(1, TimeUnit.MINUTES).tokenIds().length);
        assertEquals(List.of(1, 3), started);
        pool.shutdown();
    }

    @Test
    void shouldRefuseBadLimits() {
        assertThrows(IllegalArgumentException.class, () -> plain.withAdmission(0, 1));
        assertThrows(IllegalArgumentException.class, () -> plain.withAdmission(1, -1));
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(1, TimeUnit.MINUTES)) {
                throw new AssertionError("timed out");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void waitFor(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met in 30 s");
            }
            Thread.onSpinWait();
        }
    }
}
