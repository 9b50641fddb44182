package dev.mirrorsd.specbench;

import dev.mirrorsd.pipeline.MirrorStats;

/**
 * What one method did on one turn of a question, as Spec-Bench records it.
 *
 * @param text            the answer text
 * @param tokenIds        (new tokens) the committed token ids, compared by the greedy equality check
 * @param decodingSteps   target forward passes that committed tokens (rounds), the prefill included
 * @param newTokens       tokens generated
 * @param wallTimeSeconds request start to end, in seconds (Spec-Bench's {@code wall_time})
 * @param acceptLengths   (decoding steps) tokens each step committed: accepted draft tokens + 1
 * @param mirror          Mirror-SD's hits and rounds, or null for the other methods
 */
public record TurnAnswer(String text, int[] tokenIds, int decodingSteps, int newTokens, double wallTimeSeconds,
                         int[] acceptLengths, MirrorStats mirror) {

    /** A turn of a method other than Mirror-SD. */
    public TurnAnswer(String text, int[] tokenIds, int decodingSteps, int newTokens, double wallTimeSeconds,
                      int[] acceptLengths) {
        this(text, tokenIds, decodingSteps, newTokens, wallTimeSeconds, acceptLengths, null);
    }

    public TurnAnswer {
        if (wallTimeSeconds < 0) {
            throw new IllegalArgumentException("wall time must be >= 0, got " + wallTimeSeconds);
        }
        tokenIds = tokenIds.clone();
        acceptLengths = acceptLengths.clone();
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public int[] acceptLengths() {
        return acceptLengths.clone();
    }
}
