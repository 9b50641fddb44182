package dev.mirrorsd.pipeline;

/**
 * A request refused by a generator's admission because its queue is full: the caller should retry
 * later or shed load (an HTTP server answers 429 or 503). Nothing was allocated for it.
 */
public final class RejectedRequestException extends IllegalStateException {
    private final int waiting;
    private final int queueLimit;

    RejectedRequestException(int waiting, int queueLimit, int running) {
        super("queue full: " + waiting + " waiting, limit " + queueLimit + " (" + running + " running)");
        this.waiting = waiting;
        this.queueLimit = queueLimit;
    }

    /** Requests waiting when this one arrived. */
    public int waiting() {
        return waiting;
    }

    /** Most requests the generator lets wait. */
    public int queueLimit() {
        return queueLimit;
    }
}
