package dev.mirrorsd.pipeline;

import dev.mirrorsd.pipeline.profile.Profiler;

import java.util.Arrays;

/** Per-request counters the decoding loops fill in; turned into {@link GenerationStats} at the end. */
final class RoundStats {
    final Profiler profiler;
    int rounds;
    long drafted;
    long accepted;
    long[] acceptedByPosition = new long[0];
    long prefillNanos;
    String draftFailure;
    MirrorStats mirror;
    int[] acceptLengths = new int[64]; // (rounds): accepted + 1 per round, the first `rounds` entries used

    RoundStats(Profiler profiler) {
        this.profiler = profiler;
    }

    void round(int draftedTokens, int acceptedTokens) {
        if (rounds == acceptLengths.length) {
            acceptLengths = Arrays.copyOf(acceptLengths, 2 * rounds);
        }
        acceptLengths[rounds] = acceptedTokens + 1;
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

    /** Accept length of every round so far, in order. */
    int[] acceptLengths() {
        return Arrays.copyOf(acceptLengths, rounds);
    }
}
