package dev.mirrorsd.pipeline;

/**
 * A flag a caller raises from any thread to stop a generation at its next round boundary; the
 * tokens committed until then are kept and returned.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
