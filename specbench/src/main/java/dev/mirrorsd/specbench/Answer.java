package dev.mirrorsd.specbench;

import java.util.List;

/**
 * One method's answer to one question: a line of Spec-Bench's {@code <method>.jsonl}.
 *
 * @param question the question answered
 * @param method   the method's name ("autoregressive", "prompt-lookup", ...)
 * @param turns    one answer per turn of the question, in order
 */
public record Answer(Question question, String method, List<TurnAnswer> turns) {

    public Answer {
        turns = List.copyOf(turns);
    }

    public long newTokens() {
        return turns.stream().mapToLong(TurnAnswer::newTokens).sum();
    }

    public double wallTimeSeconds() {
        return turns.stream().mapToDouble(TurnAnswer::wallTimeSeconds).sum();
    }

    /** Spec-Bench's per-question speed: new tokens of all turns over their summed wall time; 0 if no time passed. */
    public double tokensPerSecond() {
        double seconds = wallTimeSeconds();
        return seconds == 0 ? 0 : newTokens() / seconds;
    }
}
