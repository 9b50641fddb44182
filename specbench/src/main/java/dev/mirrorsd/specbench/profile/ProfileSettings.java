package dev.mirrorsd.specbench.profile;

/**
 * How a profile was made, printed at the head of its report.
 *
 * @param model        the target's name
 * @param strategy     the strategy profiled
 * @param prompts      what was generated from, e.g. "1 prompt" or "6 Spec-Bench questions (first turns)"
 * @param runs         profiled generations of each prompt
 * @param warmups      unprofiled generations first
 * @param maxNewTokens token budget per generation
 * @param gamma        draft tokens per round
 * @param machine      cores, OS, Java
 * @param command      the command line, or empty
 */
public record ProfileSettings(String model, String strategy, String prompts, int runs, int warmups, int maxNewTokens,
                              int gamma, String machine, String command) {
}
