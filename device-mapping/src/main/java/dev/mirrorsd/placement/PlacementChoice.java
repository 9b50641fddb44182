package dev.mirrorsd.placement;

import dev.mirrorsd.mapping.DevicePlan;

import java.util.List;

/**
 * What {@link CalibratedPlacement} picked and why.
 *
 * @param plan               where each pipeline runs
 * @param exitLayer          l_e: target layers before the early-exit message
 * @param kappa              candidates per depth in the message
 * @param gamma              draft tokens per round
 * @param timing             the modelled round
 * @param expectedTokens     expected tokens per round, (1 - alpha^(gamma+1)) / (1 - alpha)
 * @param hitRate            modelled hit rate of the early-exit message, 1 - (1 - h1)^kappa
 * @param tokensPerSecond    expectedTokens / critical path (a model, not a measurement)
 * @param reasoning          human-readable lines, in order
 */
public record PlacementChoice(DevicePlan plan, int exitLayer, int kappa, int gamma, RoundTiming timing,
                              double expectedTokens, double hitRate, double tokensPerSecond, List<String> reasoning) {

    public PlacementChoice {
        reasoning = List.copyOf(reasoning);
    }

    /** Whether the draft's rollouts hide behind the target's suffix layers. */
    public boolean fits() {
        return timing.fits();
    }
}
