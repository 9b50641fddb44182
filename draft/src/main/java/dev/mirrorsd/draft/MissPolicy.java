package dev.mirrorsd.draft;

/**
 * What Mirror-SD does when the verdict matches no rolled-out branch (docs/design/mirror-sd.md section 5,
 * "Reuse"). Either way every emitted token comes from the target's own verification: the policy
 * only decides which window the target runs next, so both are lossless.
 */
public enum MissPolicy {
    /**
     * The paper's: the draft drafts gamma tokens afresh after the committed ones and the target
     * waits for them, so a miss costs a serial draft chain before the next window.
     */
    REDRAFT,
    /**
     * The target does not wait: its next window is the verdict's final token alone (an
     * autoregressive step), and while it runs the draft rolls out a branch after each of that row's
     * early-exit candidates; a hit then brings a full window back. A miss costs one target step
     * instead of a draft chain plus a window, which pays when a fresh draft costs more time than
     * its accepted tokens save (a draft with a low tau, or one nearly as slow as the target).
     */
    TARGET_STEP
}
