package dev.mirrorsd.pipeline.ring;

/** Outcome of {@link TokenChannel#receive}. */
public enum Receipt {
    /** A current message (round id at least the one asked for) was copied out. */
    RECEIVED,
    /** No current message arrived before the deadline; stale ones may have been dropped. */
    TIMED_OUT,
    /** The channel was closed and every message published before the close has been consumed. */
    CLOSED
}
