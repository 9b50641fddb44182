package dev.mirrorsd.placement;

import java.util.List;

/**
 * The search space of {@link CalibratedPlacement} and the assumptions of its round model, which
 * calibration does not measure.
 *
 * @param gammas                draft lengths to consider
 * @param kappas                top-kappa widths of the early-exit message to consider
 * @param minExitLayer          shallowest early-exit layer allowed (a shallower proxy predicts poorly)
 * @param channelNanos          one early-exit message through the ring, target to draft
 * @param verifyNanos           the verifier's own work per round, after the last layer
 * @param tokenAcceptance       assumed chance that the target accepts a draft token (alpha)
 * @param top1HitRate           assumed chance that the proxy's top-1 is the target's token at the
 *                              accepted depth; top-kappa is modelled as {@code 1 - (1 - h1)^kappa}
 * @param tokensPerDraftForward tokens the draft emits per forward (speculative streaming; 1 = plain)
 * @param sharedCpuSlowdown     factor on both models' measured-alone latencies when both pipelines
 *                              run on the CPU at once (they share caches and memory bandwidth);
 *                              CoRunProbe measured about 1.1 for SmolLM2-135M beside a small
 *                              onnxruntime model on the 2-core machine
 */
public record PlacementOptions(List<Integer> gammas, List<Integer> kappas, int minExitLayer,
                               long channelNanos, long verifyNanos, double tokenAcceptance,
                               double top1HitRate, int tokensPerDraftForward, double sharedCpuSlowdown) {

    public PlacementOptions {
        gammas = List.copyOf(gammas);
        kappas = List.copyOf(kappas);
        if (gammas.isEmpty() || kappas.isEmpty() || gammas.stream().anyMatch(g -> g < 1) || kappas.stream().anyMatch(k -> k < 1)) {
            throw new IllegalArgumentException("gammas and kappas must be non-empty and >= 1: " + gammas + ", " + kappas);
        }
        if (minExitLayer < 1) {
            throw new IllegalArgumentException("minExitLayer must be >= 1, got " + minExitLayer);
        }
        if (channelNanos < 0 || verifyNanos < 0) {
            throw new IllegalArgumentException("times must be >= 0");
        }
        if (!(tokenAcceptance >= 0 && tokenAcceptance < 1) || !(top1HitRate >= 0 && top1HitRate <= 1)) {
            throw new IllegalArgumentException("tokenAcceptance must be in [0, 1), top1HitRate in [0, 1]");
        }
        if (tokensPerDraftForward < 1) {
            throw new IllegalArgumentException("tokensPerDraftForward must be >= 1");
        }
        if (!(sharedCpuSlowdown >= 1)) {
            throw new IllegalArgumentException("sharedCpuSlowdown must be >= 1, got " + sharedCpuSlowdown);
        }
    }

    /**
     * gamma 1..8, kappa 1..4, exit no shallower than layer 2, a 20 us channel, 100 us of
     * verification, alpha 0.7, top-1 hit rate 0.6, one token per draft forward, 1.1x slower
     * side by side on a shared CPU.
     */
    public static PlacementOptions defaults() {
        return new PlacementOptions(List.of(1, 2, 3, 4, 5, 6, 7, 8), List.of(1, 2, 3, 4), 2,
                20_000, 100_000, 0.7, 0.6, 1, 1.1);
    }

    public PlacementOptions withMinExitLayer(int layer) {
        return new PlacementOptions(gammas, kappas, layer, channelNanos, verifyNanos, tokenAcceptance, top1HitRate,
                tokensPerDraftForward, sharedCpuSlowdown);
    }

    public PlacementOptions withSharedCpuSlowdown(double factor) {
        return new PlacementOptions(gammas, kappas, minExitLayer, channelNanos, verifyNanos, tokenAcceptance, top1HitRate,
                tokensPerDraftForward, factor);
    }
}
