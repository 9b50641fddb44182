package dev.mirrorsd.core.model;

import java.util.function.Supplier;

/**
 * How far a long prompt's prefill has gone, for a caller that starts it several layers up (the
 * command line, through a generator): a {@link Listener} bound with {@link #reporting} for the
 * duration of a call hears from every {@link ChunkedSequence} that feeds a chain in chunks on that
 * thread, after each chunk. Nothing is reported for windows a sequence takes in one pass.
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

    /** The listener bound on this thread, or one that ignores everything. */
    static Listener current() {
        return LISTENER.orElse(NONE);
    }
}
