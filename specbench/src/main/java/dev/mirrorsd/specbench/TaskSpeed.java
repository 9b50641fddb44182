package dev.mirrorsd.specbench;

/**
 * One row of the Spec-Bench table: one method on one task (or "overall").
 *
 * @param task               a task label, or {@link SpeedReport#OVERALL}
 * @param method             the method's name
 * @param questions          questions the method answered in this task
 * @param meanAcceptedTokens tau: mean over every decoding step of its accept length
 * @param tokensPerSecond    mean over questions of new tokens / wall time
 * @param speedup            tokensPerSecond over the baseline's on the same questions; 0 if the
 *                           baseline answered none of them
 * @param hitRate            Mirror-SD's hit rate, or null where the method does not measure one
 */
public record TaskSpeed(String task, String method, int questions, double meanAcceptedTokens, double tokensPerSecond,
                        double speedup, Double hitRate) {
}
