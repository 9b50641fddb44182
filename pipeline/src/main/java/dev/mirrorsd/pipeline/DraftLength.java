package dev.mirrorsd.pipeline;

/**
 * How many tokens to draft next round. {@link #fixed} always asks for gamma; {@link #adaptive}
 * follows Hugging Face's "heuristic" schedule: +2 after a round that accepted every draft token,
 * -1 (not below 1) otherwise, within [1, max].
 */
final class DraftLength {
    private final boolean adaptive;
    private final int max;
    private int current;

    private DraftLength(boolean adaptive, int start, int max) {
        this.adaptive = adaptive;
        this.current = start;
        this.max = max;
    }

    static DraftLength fixed(int gamma) {
        return new DraftLength(false, gamma, gamma);
    }

    static DraftLength adaptive(int start, int max) {
        return new DraftLength(true, Math.min(start, max), max);
    }

    int next() {
        return current;
    }

    void update(int drafted, int accepted) {
        if (adaptive && drafted > 0) {
            current = accepted == drafted ? Math.min(max, current + 2) : Math.max(1, current - 1);
        }
    }
}
