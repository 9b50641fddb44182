package dev.mirrorsd.core.model;

/**
 * One sequence's KV cache and the forward passes that extend it. Not thread-safe.
 *
 * <p>Speculative decoding appends a whole window, then keeps only what the target accepted:
 * {@link #truncate} for a chain, {@link #compact} for a path through a tree. Neither recomputes.
 */
public interface Sequence extends AutoCloseable {

    /** Positions held in the KV cache. */
    int length();

    /** Most positions this cache can hold. */
    int capacity();

    /**
     * Starts a forward pass over {@code window} placed after the cached positions. Layers run as
     * {@link ForwardPass#runTo} asks, each writing the window's keys and values behind the cached
     * positions. Once the last layer has run, {@link #length()} grows by the window size; a pass
     * closed before that leaves the cache as it was.
     */
    ForwardPass begin(Window window);

    /**
     * Most rows one forward pass takes whole. A longer chain is fed in chunks whose head rows keep
     * neither logits nor hidden states, so a caller that wants them feeds pieces of this size itself.
     */
    default int maxWindow() {
        return Integer.MAX_VALUE;
    }

    /** All layers over the window; logits of rows {@code fromRow..window-1}. */
    default Logits forward(Window window, int fromRow) {
        try (ForwardPass pass = begin(window)) {
            pass.runTo(pass.layers());
            return pass.logits(fromRow);
        }
    }

    /** Drops every cached position from {@code length} on. */
    void truncate(int length);

    /**
     * Keeps, right after the first {@code base} positions, the window rows {@code keptRows}
     * (ascending row indices relative to {@code base}, the accepted path through a tree) in that
     * order, and drops everything else past {@code base}.
     */
    void compact(int base, int[] keptRows);

    @Override
    void close();
}
