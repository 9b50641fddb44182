package dev.mirrorsd.engine.java;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that share out a range of work items (output rows of a matmul, attention
 * heads) in contiguous chunks, the caller taking part. A decode step hands out a few hundred such
 * ranges of tens of microseconds each, so idle workers spin for a while before parking: waking a
 * parked thread costs as much as the work. Chunks are claimed, not assigned: on a machine with
 * more runnable threads than cores a worker may not run for milliseconds, and the caller then
 * takes its chunks instead of waiting for it.
 *
 * <p>Thread-safety: {@link #run} may be called from any thread; calls are serialized, and a task
 * may use per-worker scratch indexed by the worker number it is given. Every item is computed by
 * one thread, whole, in the same order whatever the thread count.
 */
final class RowPool implements AutoCloseable {
    /** Work over items {@code from..to-1}, on worker {@code worker} (0 is the caller). */
    interface RangeTask {
        void run(int from, int to, int worker);
    }

    private static final long SPIN_NANOS = 200_000;
    private static final int CHUNKS_PER_THREAD = 4;
    /**
     * Below this many multiply-adds a range runs on the caller alone: handing it out costs a few
     * microseconds, more than tiny models' whole matmuls.
     */
    static final long MIN_PARALLEL_WORK = 1 << 16;

    /** One range handed out: its own counters, so a worker that wakes late cannot touch the next one. */
    private record Job(RangeTask task, int items, int chunks, AtomicInteger next, AtomicInteger done,
                       Throwable[] failure) {
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;

    RowPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("a pool needs at least one thread, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + worker).start(() -> loop(worker));
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code 0..items-1} on every thread and returns when all chunks are done;
     * {@code workPerItem} (multiply-adds, roughly) decides whether splitting is worth it.
     */
    synchronized void run(int items, long workPerItem, RangeTask task) {
        if (threads == 1 || items < 2 || items * workPerItem < MIN_PARALLEL_WORK) {
            task.run(0, items, 0);
            return;
        }
        Job j = new Job(task, items, Math.min(items, threads * CHUNKS_PER_THREAD), new AtomicInteger(),
                new AtomicInteger(), new Throwable[1]);
        job = j;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        drain(j, 0);
        // on a machine with more runnable threads than cores a worker holding a chunk may be waiting for this core
        for (int spins = 0; j.done().get() < j.chunks(); spins++) {
            if (spins < 4096) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable error;
        synchronized (j.failure()) {
            error = j.failure()[0];
        }
        if (error instanceof RuntimeException e) {
            throw e;
        }
        if (error instanceof Error e) {
            throw e;
        }
    }

    private static void drain(Job j, int worker) {
        for (int c; (c = j.next().getAndIncrement()) < j.chunks(); ) {
            try {
                j.task().run(bound(j, c), bound(j, c + 1), worker);
            } catch (RuntimeException | Error e) {
                synchronized (j.failure()) {
                    if (j.failure()[0] == null) {
                        j.failure()[0] = e;
                    }
                }
            } finally {
                j.done().incrementAndGet();
            }
        }
    }

    /** First item of chunk {@code c}. */
    private static int bound(Job j, int c) {
        return (int) ((long) j.items() * c / j.chunks());
    }

    private void loop(int worker) {
        Job seen = null;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Job j;
            while ((j = job) == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(1_000_000);
                }
            }
            if (closed) {
                return;
            }
            seen = j;
            drain(j, worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        job = null;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
