package dev.mirrorsd.pipeline;

import java.util.Arrays;

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
