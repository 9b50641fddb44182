package dev.mirrorsd.pipeline;

/**
 * What one request did, with vLLM's meanings. A round is one target forward pass that commits
 * tokens: the prefill (its one token), then each verification, which emits its accepted draft
 * tokens plus one correction or bonus token. Autoregressive decoding has one round per token.
 *
 * @param promptTokens          tokens of the prompt
 * @param newTokens             tokens generated
 * @param rounds                target forward passes that committed tokens, the prefill included
 * @param draftedTokens         draft tokens proposed, over all rounds
 * @param acceptedTokens        draft tokens accepted, over all rounds
 * @param acceptedByPosition    rounds whose draft token at position i was accepted, per i
 * @param prefillNanos          the prompt's forward pass
 * @param timeToFirstTokenNanos request start to the first committed token
 * @param wallTimeNanos         request start to end
 * @param draftFailure          why the drafter was abandoned mid-request (the request then finished
 *                              on the target alone), or null
 * @param acceptLengths         (rounds): tokens each round committed, in order (accepted draft
 *                              tokens + 1; the prefill's round is 1), as Spec-Bench's
 *                              {@code accept_lengths}; empty where a caller did not record them
 * @param mirror                what the Mirror-SD pipelines did (hit rate, overlap), or null for
 *                              the other strategies
 */
public record GenerationStats(
        int promptTokens,
        int newTokens,
        int rounds,
        long draftedTokens,
        long acceptedTokens,
        long[] acceptedByPosition,
        long prefillNanos,
        long timeToFirstTokenNanos,
        long wallTimeNanos,
        String draftFailure,
        int[] acceptLengths,
        MirrorStats mirror) {

    /** Without Mirror-SD statistics. */
    public GenerationStats(int promptTokens, int newTokens, int rounds, long draftedTokens, long acceptedTokens,
                           long[] acceptedByPosition, long prefillNanos, long timeToFirstTokenNanos,
                           long wallTimeNanos, String draftFailure, int[] acceptLengths) {
        this(promptTokens, newTokens, rounds, draftedTokens, acceptedTokens, acceptedByPosition, prefillNanos,
                timeToFirstTokenNanos, wallTimeNanos, draftFailure, acceptLengths, null);
    }

    /** Without per-round accept lengths (they read as empty). */
    public GenerationStats(int promptTokens, int newTokens, int rounds, long draftedTokens, long acceptedTokens,
                           long[] acceptedByPosition, long prefillNanos, long timeToFirstTokenNanos,
                           long wallTimeNanos, String draftFailure) {
        this(promptTokens, newTokens, rounds, draftedTokens, acceptedTokens, acceptedByPosition, prefillNanos,
                timeToFirstTokenNanos, wallTimeNanos, draftFailure, new int[0]);
    }

    /** Accepted over drafted; 0 if nothing was drafted. */
    public double acceptanceRate() {
        return draftedTokens == 0 ? 0 : (double) acceptedTokens / draftedTokens;
    }

    /** Tau: mean over rounds of accepted draft tokens + 1; 1.0 for autoregressive decoding, 0 if no rounds. */
    public double meanAcceptedLength() {
        return rounds == 0 ? 0 : (double) (acceptedTokens + rounds) / rounds;
    }

    /** Generated tokens per second of wall time, prefill included; 0 if no time passed. */
    public double tokensPerSecond() {
        return wallTimeNanos == 0 ? 0 : newTokens * 1e9 / wallTimeNanos;
    }

    @Override
    public long[] acceptedByPosition() {
        return acceptedByPosition.clone();
    }

    @Override
    public int[] acceptLengths() {
        return acceptLengths.clone();
    }
}
