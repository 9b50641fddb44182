package dev.mirrorsd.pipeline.ring;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The token channel of Mirror-SD: a single-producer, single-consumer Disruptor ring of preallocated
 * {@link RoundMessage}s between the target pipeline and the draft pipeline (one channel per
 * direction and message kind).
 *
 * <p>Publishing: {@link #claim} returns the next free slot (waiting, up to a deadline, while the
 * ring is full), the publisher fills it in place through the event's own setters, then
 * {@link #publish()} makes it visible. {@link #offer} does the three in one, copying from an event
 * the caller owns.
 *
 * <p>Receiving: {@link #receive} waits, up to a deadline, for a message of round
 * {@code >= minRoundId}, copies it into an event the receiver owns and frees the slot. Messages of
 * older rounds are stale: they are dropped (counted in {@link #droppedStaleCount()}), never
 * returned. Neither side can hang on the other: every wait has a deadline, and {@link #close()},
 * from any thread, wakes both.
 *
 * <p>No allocation per message: slots and the receiver's copy are allocated once; claim, publish
 * and receive allocate nothing (a test measures it).
 *
 * <p>Thread-safety: exactly one publishing thread and one receiving thread (they may differ from
 * call to call only with a happens-before edge between them); {@link #close()} from any thread.
 *
 * @param <E> the message kind
 */
public final class TokenChannel<E extends RoundMessage<E>> implements AutoCloseable {

    /** A timeout meaning "no deadline" (about 73 years, so deadline arithmetic cannot overflow). */
    public static final long FOREVER = Long.MAX_VALUE / 4;

    /** A spinning receiver reads the clock and the closed flag once per 32 idle steps (a mask). */
    private static final int SPINS_BETWEEN_CHECKS = 31;

    private final RingBuffer<E> ring;
    private final Sequence consumed = new Sequence(-1); // last slot the receiver has finished with
    private final WaitPolicy policy;
    private volatile boolean closed;
    private volatile Thread parkedReceiver;  // set only while a BLOCKING receiver waits
    private volatile Thread parkedPublisher; // set only while a BLOCKING publisher waits for room
    private long claimed = -1;               // publisher thread: claimed, unpublished slot, or -1
    private long droppedStale;               // receiver thread: stale messages dropped so far

    private TokenChannel(Supplier<E> factory, int ringSize, WaitPolicy policy) {
        Objects.requireNonNull(factory, "factory");
        this.policy = Objects.requireNonNull(policy, "policy");
        if (ringSize < 1 || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of 2, got " + ringSize);
        }
        // No SequenceBarrier waits on this ring (see WaitPolicy): its strategy only gets the
        // publisher's signal, which for BusySpinWaitStrategy is a no-op.
        this.ring = RingBuffer.createSingleProducer(factory::get, ringSize, new BusySpinWaitStrategy());
        this.ring.addGatingSequences(consumed);
    }

    /**
     * A channel whose {@code ringSize} slots are filled by {@code factory} now, once.
     *
     * @param ringSize slots, a power of 2; a round has at most one message in flight per channel
     *                 plus stale ones, so 4-16 is plenty
     * @throws IllegalArgumentException if {@code ringSize} is not a power of 2
     */
    public static <E extends RoundMessage<E>> TokenChannel<E> create(Supplier<E> factory, int ringSize,
                                                                     WaitPolicy policy) {
        return new TokenChannel<>(factory, ringSize, policy);
    }

    // ---- publisher side ------------------------------------------------------------------------

    /**
     * Claims the next slot, waiting up to {@code timeoutNanos} while the ring is full. Fill the
     * returned event, then call {@link #publish()}.
     *
     * @return the slot's event, or {@code null} if the channel is closed or stayed full until the deadline
     * @throws IllegalStateException if the previous claim was not published
     */
    public E claim(long timeoutNanos) {
        if (claimed >= 0) {
            throw new IllegalStateException("slot " + claimed + " was claimed and not published");
        }
        long deadline = deadline(timeoutNanos);
        for (int attempt = 0; ; attempt++) {
            if (closed) {
                return null;
            }
            try {
                claimed = ring.tryNext();
                return ring.get(claimed);
            } catch (InsufficientCapacityException full) { // a preallocated singleton: no allocation
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                if (policy.parks()) {
                    parkedPublisher = Thread.currentThread();
                    VarHandle.fullFence();
                    if (!ring.hasAvailableCapacity(1) && !closed) {
                        policy.idle(attempt, remaining);
                    }
                    parkedPublisher = null;
                } else {
                    policy.idle(attempt, remaining);
                }
            }
        }
    }

    /** Makes the claimed slot visible to the receiver and wakes it if it sleeps. */
    public void publish() {
        if (claimed < 0) {
            throw new IllegalStateException("nothing claimed to publish");
        }
        ring.publish(claimed);
        claimed = -1;
        if (policy.parks()) {
            VarHandle.fullFence(); // the cursor's release store before the read of the parked thread
            unpark(parkedReceiver);
        }
    }

    /**
     * Claims a slot, copies {@code source} into it and publishes it.
     *
     * @return {@code false} if the channel is closed or stayed full until the deadline
     */
    public boolean offer(E source, long timeoutNanos) {
        E slot = claim(timeoutNanos);
        if (slot == null) {
            return false;
        }
        try {
            slot.copyFrom(source);
        } finally {
            // Never leave a claim dangling. The events check sizes before changing anything, so a
            // failed copy republishes the slot's previous message, ringSize messages old: a receiver
            // asking for the current round drops it as stale.
            publish();
        }
        return true;
    }

    // ---- receiver side -------------------------------------------------------------------------

    /**
     * Waits up to {@code timeoutNanos} for a message of round {@code >= minRoundId} and copies it into
     * {@code into}. Older messages met on the way are dropped. Messages published before
     * {@link #close()} are still delivered; after them the receipt is {@link Receipt#CLOSED}.
     *
     * @param into         the receiver's own event, overwritten only on {@link Receipt#RECEIVED}
     * @param minRoundId   oldest round still of use to the receiver
     * @param timeoutNanos how long to wait; 0 polls once; {@link #FOREVER} waits for a message or a close
     */
    public Receipt receive(E into, long minRoundId, long timeoutNanos) {
        long deadline = deadline(timeoutNanos);
        for (int attempt = 0; ; attempt++) {
            long next = consumed.get() + 1;
            if (ring.getCursor() >= next) { // single producer: the cursor is the last published slot
                E event = ring.get(next);
                boolean current = event.roundId() >= minRoundId;
                try {
                    if (current) {
                        into.copyFrom(event);
                    }
                } finally {
                    release(next);
                }
                if (current) {
                    return Receipt.RECEIVED;
                }
                droppedStale++;
                attempt = -1;
                continue;
            }
            if (!policy.parks() && (attempt & SPINS_BETWEEN_CHECKS) != 0) {
                policy.idle(attempt, 1); // keep the spin loop to the cursor read
                continue;
            }
            if (closed) {
                if (ring.getCursor() >= next) {
                    continue; // published just before the close
                }
                return Receipt.CLOSED;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return Receipt.TIMED_OUT;
            }
            if (policy.parks()) {
                parkedReceiver = Thread.currentThread();
                VarHandle.fullFence();
                if (ring.getCursor() < next && !closed) {
                    policy.idle(attempt, remaining);
                }
                parkedReceiver = null;
            } else {
                policy.idle(attempt, remaining);
            }
        }
    }

    private void release(long slot) {
        consumed.set(slot);
        if (policy.parks()) {
            VarHandle.fullFence();
            unpark(parkedPublisher);
        }
    }

    /** Stale messages the receiver has dropped so far; read it on the receiving thread. */
    public long droppedStaleCount() {
        return droppedStale;
    }

    // ---- both ----------------------------------------------------------------------------------

    /**
     * Closes the channel: claims fail from now on, and a waiting receiver or publisher wakes at once.
     * Idempotent; callable from any thread.
     */
    @Override
    public void close() {
        closed = true;
        VarHandle.fullFence();
        unpark(parkedReceiver);
        unpark(parkedPublisher);
    }

    public boolean isClosed() {
        return closed;
    }

    public int ringSize() {
        return ring.getBufferSize();
    }

    public WaitPolicy waitPolicy() {
        return policy;
    }

    private static long deadline(long timeoutNanos) {
        return System.nanoTime() + Math.max(0, Math.min(timeoutNanos, FOREVER));
    }

    private static void unpark(Thread thread) {
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public String toString() {
        return "TokenChannel[ringSize=" + ringSize() + ", " + policy + (closed ? ", closed" : "") + "]";
    }
}
