package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.Sequence;

/**
 * The draft's KV cache and the token at each position it holds. A draft session compares the
 * context it is given with these tokens to keep what is still valid and feed only the rest, which
 * is also how Mirror-SD's branch rollouts and its serial fresh drafts share one cache: whoever
 * changes the cache records what it now holds.
 *
 * <p>Not thread-safe: one request's drafting thread owns it.
 */
final class DraftCache implements AutoCloseable {
    private final Sequence sequence;
    private final int[] tokens; // (capacity) token at each position; valid below sequence.length()

    DraftCache(Sequence sequence) {
        this.sequence = sequence;
        this.tokens = new int[sequence.capacity()];
    }

    /** The cache itself, for forward passes, truncation and compaction. */
    Sequence sequence() {
        return sequence;
    }

    /** How many leading tokens of {@code context[0..n)} the cache holds. */
    int commonPrefix(int[] context, int n) {
        int limit = Math.min(sequence.length(), n);
        int i = 0;
        while (i < limit && tokens[i] == context[i]) {
            i++;
        }
        return i;
    }

    /** Records that positions {@code position..position+count-1} hold {@code source[from..from+count)}. */
    void holds(int position, int[] source, int from, int count) {
        System.arraycopy(source, from, tokens, position, count);
    }

    /** Records that {@code position} holds {@code token}. */
    void holds(int position, int token) {
        tokens[position] = token;
    }

    @Override
    public void close() {
        sequence.close();
    }
}
