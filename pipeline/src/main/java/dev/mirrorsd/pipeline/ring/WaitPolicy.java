package dev.mirrorsd.pipeline.ring;

import java.util.concurrent.locks.LockSupport;

/**
 * How a {@link TokenChannel} endpoint waits for a message (receiver) or a free slot (publisher).
 * The three policies are those of the Disruptor's {@code BusySpinWaitStrategy},
 * {@code YieldingWaitStrategy} and {@code BlockingWaitStrategy}.
 *
 * <p>Why the channel waits itself rather than through a Disruptor {@code WaitStrategy} and
 * {@code SequenceBarrier}: those strategies take no per-call deadline (the timeout of
 * {@code TimeoutBlockingWaitStrategy} is fixed at construction, and the spinning ones never time
 * out), while the draft must be able to give up on a round and the target must never hang on a dead
 * draft. The loop here checks the deadline and the closed flag between waits; the idle step is the
 * policy's.
 *
 * <ul>
 *   <li>{@link #BUSY_SPIN}: lowest latency (a round trip well under a microsecond), one core burnt
 *       per waiting thread; only on dedicated cores.</li>
 *   <li>{@link #YIELDING}: spins briefly, then {@code Thread.yield()}; near busy-spin latency when
 *       the cores are free, gives the core away when they are not.</li>
 *   <li>{@link #BLOCKING}: parks the waiting thread, the publisher unparks it; tens of microseconds
 *       per wake-up, no CPU while idle. For shared machines.</li>
 * </ul>
 */
public enum WaitPolicy {
    BUSY_SPIN {
        @Override
        void idle(int attempt, long remainingNanos) {
            Thread.onSpinWait();
        }
    },
    YIELDING {
        @Override
        void idle(int attempt, long remainingNanos) {
            if (attempt < SPIN_TRIES) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    },
    BLOCKING {
        @Override
        void idle(int attempt, long remainingNanos) {
            // the publisher unparks us (TokenChannel#publish); the cap bounds a missed wake-up's cost
            LockSupport.parkNanos(Math.min(remainingNanos, MAX_PARK_NANOS));
        }

        @Override
        boolean parks() {
            return true;
        }
    };

    /** Spins before a yielding waiter starts yielding (the Disruptor's YieldingWaitStrategy uses 100). */
    static final int SPIN_TRIES = 100;
    /** Longest single park of a blocking waiter, in nanoseconds. */
    static final long MAX_PARK_NANOS = 1_000_000L;

    /**
     * One idle step of a waiting loop.
     *
     * @param attempt        how many idle steps this wait has taken so far
     * @param remainingNanos time left to the deadline, positive
     */
    abstract void idle(int attempt, long remainingNanos);

    /** Whether waiters sleep and must be unparked by the other side. */
    boolean parks() {
        return false;
    }
}
