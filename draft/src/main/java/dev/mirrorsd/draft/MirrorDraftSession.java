package dev.mirrorsd.draft;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;

/**
 * One request's draft side in Mirror-SD, in the paper's steps (docs/design/mirror-sd.md sections 3-5). Per round
 * the pipeline calls {@link #rollout} with the target's early-exit message while the target runs
 * its remaining layers, then {@link #handOver} with the verdict; the proposal it returns is the
 * target's next window. The session follows the committed tokens from the verdicts alone.
 *
 * <p>Lossless whatever the session proposes, as long as each proposal's draft distributions are
 * the ones its tokens were drawn from given their path: every emitted token comes from the
 * target's own verification.
 *
 * <p>Not thread-safe: the draft pipeline's thread owns it.
 */
public interface MirrorDraftSession extends AutoCloseable {

    /**
     * The prompt, taken while the target runs its own prefill; the first early-exit message then
     * brings the prefill's token as its window's first row.
     */
    void prefill(int[] prompt);

    /**
     * The target's features of the prompt's positions {@code 0..}, row {@code rows[i]} of
     * {@code window} for position i, for a drafter with feature layers; after {@link #prefill} and
     * before the first rollout.
     */
    default void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
    }

    /** Branch-complete rollouts after the outcomes the early-exit message makes likely. */
    void rollout(EarlyExitMessage message);

    /**
     * The verdict of the round last rolled out; returns the next proposal: on a hit the branch
     * rolled out after the verdict's accepted tokens and final token, on a miss a fresh draft after
     * the committed tokens or, under {@link MissPolicy#TARGET_STEP}, an empty one.
     */
    DraftProposal handOver(Verdict verdict);

    /** Whether the last {@link #handOver} reused a rolled-out branch. */
    boolean lastWasHit();

    @Override
    void close();
}
