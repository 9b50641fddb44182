package dev.mirrorsd.pipeline;

import java.util.Arrays;

/** Per-request counters the decoding loops fill in; turned into {@link GenerationStats} at the end. */
final class RoundStats {
    int rounds;
    long drafted;
    long accepted;
    long[] acceptedByPosition = new long[0];
    long prefillNanos;
    String draftFailure;

    void round(int draftedTokens, int acceptedTokens) {
        rounds++;
        drafted += draftedTokens;
        accepted += acceptedTokens;
        if (acceptedTokens > acceptedByPosition.length) {
            acceptedByPosition = Arrays.copyOf(acceptedByPosition, acceptedTokens);
        }
        for (int i = 0; i < acceptedTokens; i++) {
            acceptedByPosition[i]++;
        }
    }
}
