package dev.mirrorsd.placement;

import dev.mirrorsd.core.engine.DeviceKind;
import dev.mirrorsd.mapping.DevicePlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Picks a device plan and (l_e, kappa, gamma) from measured forward latencies. Pure: the same
 * latencies and options give the same choice; {@link LatencyCalibrator} does the measuring.
 *
 * <p>The round model (docs/design/mirror-sd.md section 5). The target verifies a window of {@code w = gamma + 1}
 * rows (the last committed token and gamma draft tokens); a layer costs {@code T_layer(w) =
 * T_target(w) / N}. At layer l_e it sends the top-kappa message; the draft then rolls out one
 * branch for every (depth, candidate) outcome: {@code B = (gamma + 1) * kappa} branches of gamma
 * tokens, batched as one window of B rows per step, {@code ceil(gamma / s)} steps with s tokens per
 * draft forward. So
 * <pre>
 *   T_prefix   = l_e * T_layer(w)          T_suffix = (N - l_e) * T_layer(w)
 *   T_rollouts = ceil(gamma / s) * T_draft(B)
 *   T_miss     = (1 - h(kappa)) * ceil(gamma / s) * T_draft(1)    a miss drafts a fresh chain
 *   T_round    = T_prefix + max(T_suffix, T_channel + T_rollouts) + T_verify + T_miss
 *   tokens/s   = E[tokens] / T_round,  E[tokens] = (1 - alpha^(gamma+1)) / (1 - alpha),
 *   h(kappa)   = 1 - (1 - h1)^kappa
 * </pre>
 * The rollouts fit when {@code T_channel + T_rollouts <= T_suffix}. When they fit, T_round does
 * not depend on l_e, so the choice takes the deepest l_e that still hides them (the deeper the
 * exit, the better the proxy). Among settings that fit, the highest modelled tokens/s wins (ties:
 * deeper l_e, then smaller kappa, then smaller gamma). When none fits, the choice degrades to the
 * highest tokens/s with the draft partly on the critical path (l_e at its shallowest, to give
 * the rollouts the most room) and says so. When both pipelines share the CPU, both models'
 * latencies are scaled by {@link PlacementOptions#sharedCpuSlowdown()}.
 */
public final class CalibratedPlacement {

    /** A plan with the latencies measured for it. */
    public record Candidate(DevicePlan plan, ForwardLatency target, ForwardLatency draft) {
        public Candidate {
            Objects.requireNonNull(plan, "plan");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(draft, "draft");
        }
    }

    private final PlacementOptions options;

    private CalibratedPlacement(PlacementOptions options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public static CalibratedPlacement with(PlacementOptions options) {
        return new CalibratedPlacement(options);
    }

    /** The best setting of the best plan; plans where the rollouts fit beat those where they do not. */
    public PlacementChoice choose(List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate plans to choose from");
        }
        PlacementChoice best = null;
        for (Candidate c : candidates) {
            PlacementChoice choice = decide(c);
            if (best == null || better(choice, best)) {
                best = choice;
            }
        }
        if (candidates.size() > 1) {
            List<String> lines = new ArrayList<>();
            lines.add("chose " + best.plan() + " among " + candidates.size() + " plans");
            lines.addAll(best.reasoning());
            return new PlacementChoice(best.plan(), best.exitLayer(), best.kappa(), best.gamma(), best.timing(),
                    best.expectedTokens(), best.hitRate(), best.tokensPerSecond(), lines);
        }
        return best;
    }

    /** The best (l_e, kappa, gamma) for one plan. */
    public PlacementChoice decide(Candidate c) {
        int layers = c.target().layers();
        if (layers < 2) {
            throw new IllegalArgumentException("early exit needs a target of >= 2 layers, got " + layers);
        }
        int shallowest = Math.min(options.minExitLayer(), layers - 1);
        PlacementChoice best = null;
        for (int gamma : options.gammas()) {
            for (int kappa : options.kappas()) {
                PlacementChoice choice = setting(c, gamma, kappa, shallowest);
                if (best == null || better(choice, best)) {
                    best = choice;
                }
            }
        }
        return new PlacementChoice(best.plan(), best.exitLayer(), best.kappa(), best.gamma(), best.timing(),
                best.expectedTokens(), best.hitRate(), best.tokensPerSecond(), reasoning(c, best, shallowest));
    }

    private PlacementChoice setting(Candidate c, int gamma, int kappa, int shallowest) {
        int layers = c.target().layers();
        double layerNanos = targetLayerNanos(c, gamma + 1);
        double need = options.channelNanos() + rolloutNanos(c, gamma, kappa);
        // deepest l_e with (N - l_e) * T_layer >= need
        int deepest = Math.min(layers - 1, (int) Math.floor(layers - need / layerNanos));
        int exit = deepest >= shallowest ? deepest : shallowest;
        return evaluate(c, exit, kappa, gamma);
    }

    /** The modelled round for one setting. */
    public PlacementChoice evaluate(Candidate c, int exitLayer, int kappa, int gamma) {
        int layers = c.target().layers();
        if (exitLayer < 1 || exitLayer >= layers) {
            throw new IllegalArgumentException("exit layer must be in [1, " + (layers - 1) + "], got " + exitLayer);
        }
        double layerNanos = targetLayerNanos(c, gamma + 1);
        double prefix = exitLayer * layerNanos;
        double suffix = (layers - exitLayer) * layerNanos;
        double rollouts = rolloutNanos(c, gamma, kappa);
        double hit = 1 - Math.pow(1 - options.top1HitRate(), kappa);
        double miss = (1 - hit) * steps(gamma) * c.draft().nanos(1) * slowdown(c);
        double critical = prefix + Math.max(suffix, options.channelNanos() + rollouts) + options.verifyNanos() + miss;
        RoundTiming timing = new RoundTiming(prefix, suffix, options.channelNanos(), rollouts, options.verifyNanos(), miss, critical);
        double alpha = options.tokenAcceptance();
        double tokens = (1 - Math.pow(alpha, gamma + 1)) / (1 - alpha);
        return new PlacementChoice(c.plan(), exitLayer, kappa, gamma, timing, tokens, hit, tokens * 1e9 / critical, List.of());
    }

    private double rolloutNanos(Candidate c, int gamma, int kappa) {
        return steps(gamma) * c.draft().nanos((gamma + 1) * kappa) * slowdown(c);
    }

    private double targetLayerNanos(Candidate c, int rows) {
        return c.target().nanosPerLayer(rows) * slowdown(c);
    }

    /** Both pipelines on the CPU slow each other down beyond their measured-alone latencies. */
    private double slowdown(Candidate c) {
        return sharesCpu(c) ? options.sharedCpuSlowdown() : 1;
    }

    private static boolean sharesCpu(Candidate c) {
        return c.plan().target().device().kind() == DeviceKind.CPU && c.plan().draft().device().kind() == DeviceKind.CPU;
    }

    private int steps(int gamma) {
        return (gamma + options.tokensPerDraftForward() - 1) / options.tokensPerDraftForward();
    }

    private static boolean better(PlacementChoice a, PlacementChoice b) {
        if (a.fits() != b.fits()) {
            return a.fits();
        }
        double tolerance = 1e-9 * Math.max(a.tokensPerSecond(), b.tokensPerSecond());
        if (Math.abs(a.tokensPerSecond() - b.tokensPerSecond()) > tolerance) {
            return a.tokensPerSecond() > b.tokensPerSecond();
        }
        if (a.exitLayer() != b.exitLayer()) {
            return a.exitLayer() > b.exitLayer();
        }
        if (a.kappa() != b.kappa()) {
            return a.kappa() < b.kappa();
        }
        return a.gamma() < b.gamma();
    }

    private List<String> reasoning(Candidate c, PlacementChoice best, int shallowest) {
        List<String> lines = new ArrayList<>();
        RoundTiming t = best.timing();
        int layers = c.target().layers();
        int w = best.gamma() + 1;
        lines.add(String.format(Locale.ROOT, "target on %s: %d layers; forward by rows %s -> %.3f ms per layer at %d rows",
                c.target().device(), layers, c.target().describe(), targetLayerNanos(c, w) / 1e6, w));
        lines.add(String.format(Locale.ROOT, "draft on %s: forward by rows %s", c.draft().device(), c.draft().describe()));
        String rollouts = String.format(Locale.ROOT, "rollouts: (gamma+1)*kappa = %d branches, %d step(s) of %d rows = %s",
                w * best.kappa(), steps(best.gamma()), w * best.kappa(), ms(t.rolloutNanos()));
        if (best.fits()) {
            lines.add(String.format(Locale.ROOT, "chose gamma=%d kappa=%d l_e=%d: %s + channel %s fit in the %d layers after l_e (%s), slack %s",
                    best.gamma(), best.kappa(), best.exitLayer(), rollouts, ms(t.channelNanos()), layers - best.exitLayer(),
                    ms(t.suffixNanos()), ms(t.slackNanos())));
        } else {
            lines.add(String.format(Locale.ROOT, "nothing fits: even the best setting, gamma=%d kappa=%d at the shallowest exit l_e=%d, "
                    + "leaves the draft %s on the critical path (%s vs %s of suffix layers); a smaller draft or a faster"
                    + " draft device would hide it", best.gamma(), best.kappa(), shallowest, ms(-t.slackNanos()),
                    rollouts, ms(t.suffixNanos())));
        }
        double autoregressive = 1e9 / c.target().nanos(1); // alone: no draft beside it
        lines.add(String.format(Locale.ROOT, "modelled round %s (prefix %s + max(suffix, channel + rollouts) + verify %s + misses %s);"
                        + " %.2f tokens/round at alpha %.2f, hit rate %.2f -> %.1f tokens/s vs %.1f autoregressive (a model, not a measurement)",
                ms(t.criticalNanos()), ms(t.prefixNanos()), ms(t.verifyNanos()), ms(t.missNanos()), best.expectedTokens(),
                options.tokenAcceptance(), best.hitRate(), best.tokensPerSecond(), autoregressive));
        if (sharesCpu(c)) {
            lines.add(String.format(Locale.ROOT, "both pipelines share the CPU (%d + %d intra-op threads): each model was measured"
                    + " alone, so both latencies are taken %.2fx slower for caches and memory bandwidth shared side by side",
                    c.plan().target().intraOpThreads(), c.plan().draft().intraOpThreads(), options.sharedCpuSlowdown()));
        }
        if (best.tokensPerSecond() < autoregressive) {
            lines.add("the modelled speed is below autoregressive decoding: run this pair without speculation");
        }
        return lines;
    }

    private static String ms(double nanos) {
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }
}
