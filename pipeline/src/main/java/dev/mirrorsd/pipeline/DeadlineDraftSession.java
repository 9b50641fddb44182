package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.draft.DraftSession;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A draft session whose every {@code propose} must return within a deadline. The call runs on a
 * shared pool of daemon draft threads while the request's thread waits; past the deadline the
 * request thread interrupts the call, gives the session up and throws {@link DraftDeadlineException},
 * which the decoding loop treats as any drafter failure (the request finishes on the target alone).
 *
 * <p>A session is used by one thread at a time, so a given-up session is not closed by the request
 * but by the draft thread once the overrunning call returns. A call that never returns keeps its
 * thread and its session's memory: Java cannot stop a thread stuck in native code, so that is the
 * cost of a drafter hung for good, and {@code generate()} returns regardless. Idle draft threads end
 * after a minute.
 */
final class DeadlineDraftSession implements DraftSession {
    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();
    private static final ExecutorService DRAFT_THREADS = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
            60, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
                Thread thread = new Thread(task, "mirror-sd-draft-" + THREAD_NUMBER.incrementAndGet());
                thread.setDaemon(true); // a drafter hung for good must not keep the JVM alive
                return thread;
            });

    private final DraftSession inner;
    private final long deadlineNanos;
    private final Object lock = new Object();
    private boolean running; // guarded by lock: a call of inner is under way on a draft thread
    private boolean closed;  // guarded by lock
    private boolean abandoned;

    DeadlineDraftSession(DraftSession inner, Duration deadline) {
        this.inner = inner;
        this.deadlineNanos = deadline.toNanos();
    }

    @Override
    public DraftProposal propose(int[] context, int length, int maxTokens) {
        if (abandoned) {
            throw new IllegalStateException("draft session was given up after overrunning its deadline");
        }
        // the caller overwrites its context as it commits; an overrunning call must not see that
        int[] snapshot = Arrays.copyOf(context, length);
        Future<DraftProposal> call = DRAFT_THREADS.submit(() -> run(snapshot, length, maxTokens));
        try {
            return call.get(deadlineNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(call);
            throw new DraftDeadlineException("drafter overran its deadline of "
                    + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms");
        } catch (InterruptedException e) {
            abandon(call);
            Thread.currentThread().interrupt();
            throw new DraftDeadlineException("interrupted while waiting for the drafter");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public int[] featureLayers() {
        return inner.featureLayers();
    }

    /** On the request's thread: features arrive between rounds, when no call of the session runs. */
    @Override
    public void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
        if (!abandoned) {
            inner.acceptFeatures(firstPosition, window, width, rows);
        }
    }

    private DraftProposal run(int[] context, int length, int maxTokens) {
        synchronized (lock) {
            if (closed) {
                return DraftProposal.chain(); // given up before it started: nobody waits for it
            }
            running = true;
        }
        try {
            return inner.propose(context, length, maxTokens);
        } finally {
            synchronized (lock) {
                running = false;
                if (closed) {
                    inner.close(); // the request gave the session up while this call ran
                }
            }
        }
    }

    private void abandon(Future<DraftProposal> call) {
        abandoned = true;
        call.cancel(true); // interrupts a drafter that waits or sleeps; native code runs on
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (!running) {
                inner.close();
            }
        }
    }

    /** A drafter's call that did not return in time; the request goes on with the target alone. */
    static final class DraftDeadlineException extends RuntimeException {
        DraftDeadlineException(String message) {
            super(message);
        }
    }
}
