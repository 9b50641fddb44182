package dev.mirrorsd.draft;

import dev.mirrorsd.core.speculative.DraftProposal;

/**
 * One request's drafting state (a draft KV cache; for sampling, the request's draft generator it was
 * opened with). Not thread-safe.
 *
 * <p>A session is told the whole committed context each round and brings its own state up to date
 * by itself (it keeps what it already holds of the context and drops the rest), so the caller
 * never has to tell it which of its tokens were rejected.
 */
public interface DraftSession extends AutoCloseable {

    /**
     * Proposes at most {@code maxTokens} draft tokens after {@code context[0..length)}; may propose
     * none (the round then runs as one autoregressive step).
     */
    DraftProposal propose(int[] context, int length, int maxTokens);

    /**
     * The target layers whose hidden states this session reads (EAGLE's features), ascending; none
     * for a draft that reads tokens only. The decoding loop then hands it, through
     * {@link #acceptFeatures}, the target's hidden states at those layers for every position it
     * commits, taken from the passes it runs anyway.
     */
    default int[] featureLayers() {
        return new int[0];
    }

    /**
     * The target's features of committed positions {@code firstPosition, firstPosition + 1, ...}:
     * position {@code firstPosition + i} is window row {@code rows[i]}, whose features are
     * {@code window[rows[i] * width ..]}, one hidden state per feature layer in layer order. The
     * arrays belong to the caller and change after the call.
     */
    default void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
    }

    @Override
    void close();
}
