package dev.mirrorsd.core.model;

import java.util.function.Supplier;

/**
 * How far a long prompt's prefill has gone, for a caller that starts it several layers up (the
 * command line, through a generator): a {@link Listener} bound with {@link #reporting} for the
 * duration of a call hears from every {@link ChunkedSequence} that feeds a chain in chunks on that
 * thread, after each chunk, and from any caller that feeds a prompt in pieces itself
 * ({@link #fed}). Nothing is reported for windows a sequence takes in one pass.
 */
public final class PrefillProgress {
    /** Told the positions of a chain fed so far, of {@code total}; the last call has {@code fed == total}. */
    @FunctionalInterface
    public interface Listener {
        void fed(int fed, int total);
    }

    private static final ScopedValue<Listener> LISTENER = ScopedValue.newInstance();
    private static final Listener NONE = (fed, total) -> { };

    private PrefillProgress() {
    }

    /** Runs {@code work} with {@code listener} told of the chunked prefills it runs on this thread. */
    public static <T> T reporting(Listener listener, Supplier<T> work) {
        return ScopedValue.where(LISTENER, listener).call(work::get);
    }

    /**
     * Tells the listener bound on this thread of {@code fed} positions of {@code total}: for a
     * caller that feeds a long prompt in pieces itself, as a feature draft's tap does to keep every
     * piece's hidden states.
     */
    public static void fed(int fed, int total) {
        current().fed(fed, total);
    }

    /** The listener bound on this thread, or one that ignores everything. */
    static Listener current() {
        return LISTENER.orElse(NONE);
    }
}
