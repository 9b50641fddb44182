package dev.mirrorsd.placement;

/**
 * One Mirror-SD round under the model of {@link CalibratedPlacement}, in nanoseconds.
 *
 * @param prefixNanos     target layers 1..l_e over the window
 * @param suffixNanos     target layers l_e+1..N over the window
 * @param channelNanos    the early-exit message, target to draft
 * @param rolloutNanos    the draft's branch-complete rollouts
 * @param verifyNanos     the verifier after the last layer
 * @param missNanos       expected draft time on the critical path from misses: (1 - hit rate) x a
 *                        fresh chain of gamma tokens
 * @param criticalNanos   prefix + max(suffix, channel + rollouts) + verify + miss
 */
public record RoundTiming(double prefixNanos, double suffixNanos, double channelNanos, double rolloutNanos,
                          double verifyNanos, double missNanos, double criticalNanos) {

    /** Whether the draft's work hides behind the target's suffix. */
    public boolean fits() {
        return channelNanos + rolloutNanos <= suffixNanos;
    }

    /** Suffix time left after the rollouts; negative when they overrun it. */
    public double slackNanos() {
        return suffixNanos - channelNanos - rolloutNanos;
    }
}
