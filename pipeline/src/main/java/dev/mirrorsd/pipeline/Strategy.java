package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.DeviceKind;

import java.util.Arrays;
import java.util.Locale;

/** How tokens are produced, as the API and the command line name it. */
public enum Strategy {
    /** One target forward per token; no drafter. */
    AUTOREGRESSIVE("autoregressive"),
    /** The project's trained draft model proposes a chain (or a tree). */
    DRAFT("draft"),
    /** N-gram matches in the prompt and output so far; no model. */
    PROMPT_LOOKUP("prompt-lookup"),
    /** The target's own first l_e layers draft (self-speculation). */
    EARLY_EXIT("early-exit"),
    /** The draft's multi-token heads propose several tokens per forward. */
    STREAMING("streaming"),
    /**
     * Mirror-SD: the draft rolls out branches on its own thread after the target's early-exit
     * message, while the target finishes its layers.
     */
    MIRROR("mirror");

    private final String label;

    Strategy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Whether the strategy drafts with a draft model (the project's draft, or one given by path). */
    public boolean needsDraftModel() {
        return this == DRAFT || this == STREAMING || this == MIRROR;
    }

    /**
     * The fastest lossless strategy measured for a target on {@code targetKind}, on an engine whose
     * CPU windows are cheap or not ({@code EngineProvider.cheapCpuWindows}), with or without the
     * feature draft compiled for a device beside it, and why. Figures and their commands:
     * docs/results/cpu.md and docs/results/h100.md. The java engine decodes one row so fast that a
     * five-row window costs about three: on Spec-Bench prompt lookup runs at 0.74x and the feature
     * draft (prompt lookup first) at 0.63x autoregressive there. On the DJL engine a window costs
     * about one row, and prompt lookup runs at 1.37x. On a GPU the compiled feature draft's chains
     * run at 1.25-1.31x on Spec-Bench; nothing else drafted there has beaten autoregressive decoding.
     */
    public static Choice fastestOn(DeviceKind targetKind, boolean cheapCpuWindows, boolean compiledFeatureDraft) {
        String where = targetKind.name().toLowerCase(Locale.ROOT);
        if (targetKind == DeviceKind.CPU && cheapCpuWindows) {
            return new Choice(PROMPT_LOOKUP, "fastest measured with the target on a CPU engine whose windows cost"
                    + " about one row: on Spec-Bench prompt lookup runs at 1.37x and the feature draft at 1.28x"
                    + " autoregressive (docs/results/cpu.md)");
        }
        if (targetKind == DeviceKind.CPU) {
            return new Choice(AUTOREGRESSIVE, "fastest measured with the target on a CPU engine whose windows cost"
                    + " more than a row: on Spec-Bench prompt lookup runs at 0.74x and the feature draft at 0.63x"
                    + " autoregressive on the default CPU engine (docs/results/cpu.md)");
        }
        if (compiledFeatureDraft) {
            return new Choice(DRAFT, "fastest measured with the target on " + where + " and the feature draft"
                    + " compiled beside it: on Spec-Bench 1.25x autoregressive at gamma 4 and 1.27-1.31x at gamma 3"
                    + " on one H100 (docs/results/h100.md)");
        }
        return new Choice(AUTOREGRESSIVE, "fastest measured with the target on " + where + " without a compiled"
                + " feature draft (--draft models/feature-draft --draft-graphs EXPORT): no other draft has beaten it"
                + " there (docs/results/h100.md)");
    }

    /** A strategy chosen for a plan, with the reason a user is shown. */
    public record Choice(Strategy strategy, String reason) {
    }

    /** Looks a strategy up by its label; an unknown name lists the valid ones. */
    public static Strategy byName(String name) {
        for (Strategy s : values()) {
            if (s.label.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + name + "'; valid: "
                + Arrays.stream(values()).map(Strategy::label).toList());
    }

    @Override
    public String toString() {
        return label;
    }
}
