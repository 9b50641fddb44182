package dev.mirrorsd.pipeline;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission of requests to a shared generator: at most {@code maxConcurrent} decode at once, at
 * most {@code maxQueued} wait, admitted strictly in arrival order, and the next one is refused
 * with {@link RejectedRequestException} instead of growing a queue without limit.
 *
 * <p>A finishing request hands its slot straight to the head of the queue, so a newcomer never
 * overtakes a waiter. A waiter polls its {@link Cancellation} every {@link #POLL_MILLIS} ms (the
 * flag has no way to wake it) and leaves the queue once it is raised.
 *
 * <p>Thread-safety: safe for any number of threads.
 */
final class Admission {
    /** How often a waiting request looks at its cancellation flag. */
    static final long POLL_MILLIS = 5;

    private static final Admission UNLIMITED = new Admission(Integer.MAX_VALUE, 0);
    private static final Permit FREE = () -> { };

    private final int maxConcurrent;
    private final int maxQueued;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>(); // arrival order
    private int running;

    private Admission(int maxConcurrent, int maxQueued) {
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
    }

    /** Every request runs at once: no lock, no queue. */
    static Admission unlimited() {
        return UNLIMITED;
    }

    static Admission bounded(int maxConcurrent, int maxQueued) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1, got " + maxConcurrent);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("maxQueued must be >= 0, got " + maxQueued);
        }
        return new Admission(maxConcurrent, maxQueued);
    }

    /** A slot held by a running request; closing it admits the next waiter. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits for a slot. Returns at once with a permit that admits nothing more when
     * {@code cancellation} is raised while waiting (the request then stops at its first check).
     *
     * @throws RejectedRequestException when {@code maxQueued} requests are already waiting
     */
    Permit enter(Cancellation cancellation) {
        if (this == UNLIMITED) {
            return FREE;
        }
        lock.lock();
        try {
            if (running < maxConcurrent && queue.isEmpty()) {
                running++;
                return this::release;
            }
            if (queue.size() >= maxQueued) {
                throw new RejectedRequestException(queue.size(), maxQueued, running);
            }
            Waiter waiter = new Waiter(lock.newCondition());
            queue.addLast(waiter);
            boolean interrupted = false;
            while (!waiter.admitted) {
                if (interrupted || cancellation.isCancelled()) {
                    queue.remove(waiter);
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                        cancellation.cancel();
                    }
                    return FREE;
                }
                try {
                    waiter.turn.await(POLL_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return this::release; // the slot was handed over by release(): running already counts it
        } finally {
            lock.unlock();
        }
    }

    private void release() {
        lock.lock();
        try {
            Waiter next = queue.pollFirst();
            if (next == null) {
                running--;
            } else {
                next.admitted = true;
                next.turn.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Requests decoding now. */
    int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting for a slot. */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    private static final class Waiter {
        final Condition turn;
        boolean admitted; // guarded by the lock

        Waiter(Condition turn) {
            this.turn = turn;
        }
    }
}
