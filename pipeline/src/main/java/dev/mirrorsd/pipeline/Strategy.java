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
     * The fastest lossless strategy measured for a target on {@code targetKind}, and why. Figures
     * and their commands: docs/results/cpu.md and docs/results/h200.md. On the CPU prompt lookup
     * drafts for free and runs at 1.45x autoregressive on Spec-Bench, while every model draft runs
     * below 1x; on a GPU no speculative setting has beaten autoregressive decoding yet.
     */
    public static Choice fastestOn(DeviceKind targetKind) {
        if (targetKind == DeviceKind.CPU) {
            return new Choice(PROMPT_LOOKUP, "fastest measured with the target on a CPU: 1.45x autoregressive on"
                    + " Spec-Bench, where the model drafts run below 1x (docs/results/cpu.md)");
        }
        return new Choice(AUTOREGRESSIVE, "fastest measured with the target on " + targetKind.name().toLowerCase(
                Locale.ROOT) + ": no speculative setting has beaten it there yet (docs/results/h200.md)");
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
