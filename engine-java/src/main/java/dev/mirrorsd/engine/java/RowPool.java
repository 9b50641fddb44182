package dev.mirrorsd.engine.java;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split a range of work items (output rows of a matmul, attention
 * heads) into equal contiguous shares, the caller taking share 0. A decode step hands out a few
 * hundred such ranges of tens of microseconds each, so idle workers spin for a while before
 * parking: waking a parked thread costs as much as the work.
 *
 * <p>Thread-safety: {@link #run} may be called from any thread; calls are serialized, and a task
 * may use per-worker scratch indexed by the worker number it is given.
 */
final class RowPool implements AutoCloseable {
    /** Work over items {@code from..to-1}, on worker {@code worker} (0 is the caller). */
    interface RangeTask {
        void run(int from, int to, int worker);
    }

    private static final long SPIN_NANOS = 200_000;
    /**
     * Below this many multiply-adds a range runs on the caller alone: handing it out costs a few
     * microseconds, more than tiny models' whole matmuls.
     */
    static final long MIN_PARALLEL_WORK = 1 << 16;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private RangeTask task;   // written before generation's volatile write, read after its read
    private int items;
    private volatile Throwable failure;

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
     * Runs {@code task} over {@code 0..items-1} on every thread and returns when all shares are done;
     * {@code workPerItem} (multiply-adds, roughly) decides whether splitting is worth it.
     */
    synchronized void run(int items, long workPerItem, RangeTask task) {
        if (threads == 1 || items < 2 || items * workPerItem < MIN_PARALLEL_WORK) {
            task.run(0, items, 0);
            return;
        }
        this.task = task;
        this.items = items;
        failure = null;
        pending.set(workers.length);
        generation++;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        Throwable own = null;
        try {
            task.run(0, share(items, 1), 0);
        } catch (RuntimeException | Error e) {
            own = e;
        }
        // on a machine with more runnable threads than cores the worker may be waiting for this core
        for (int spins = 0; pending.get() != 0; spins++) {
            if (spins < 4096) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.task = null;
        Throwable error = own != null ? own : failure;
        if (error instanceof RuntimeException e) {
            throw e;
        }
        if (error instanceof Error e) {
            throw e;
        }
    }

    /** First item of share {@code worker}; share w covers share(w)..share(w+1)-1. */
    private int share(int items, int worker) {
        return (int) ((long) items * worker / threads);
    }

    private void loop(int worker) {
        long seen = 0;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(1_000_000);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                task.run(share(items, worker), share(items, worker + 1), worker);
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
