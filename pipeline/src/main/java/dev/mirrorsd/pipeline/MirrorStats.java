package dev.mirrorsd.pipeline;

/**
 * What the Mirror-SD pipelines did in one request.
 *
 * @param rounds             verifications that sent an early-exit message to a live draft pipeline
 * @param hits               of those, rounds whose correction or bonus token was among the early-exit
 *                           top-kappa at the accepted depth: the draft had a branch ready
 * @param rolloutNanos       the draft's branch rollouts, in all
 * @param hiddenRolloutNanos the part of the rollouts that ran while the target ran its suffix layers
 * @param proposalWaitNanos  the target's waits for the next proposal after its verdict: the ring
 *                           round trip on a hit, the fresh draft too on a miss (the draft on the
 *                           critical path)
 */
public record MirrorStats(int rounds, int hits, long rolloutNanos, long hiddenRolloutNanos, long proposalWaitNanos) {

    /** Hits over rounds; 0 without rounds. */
    public double hitRate() {
        return rounds == 0 ? 0 : (double) hits / rounds;
    }

    /** The share of the rollouts hidden under the target's suffix; 0 without rollouts. */
    public double overlapFraction() {
        return rolloutNanos == 0 ? 0 : (double) hiddenRolloutNanos / rolloutNanos;
    }
}
