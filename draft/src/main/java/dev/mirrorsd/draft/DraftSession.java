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

    @Override
    void close();
}
