package dev.mirrorsd.pipeline.profile;

/**
 * The timed pieces of a generation, named after docs/design/mirror-sd.md. Serial strategies use
 * {@link #DRAFT} and {@link #TARGET_FORWARD}; the Mirror pipelines split the target's forward at
 * the early exit into {@link #TARGET_PREFIX} and {@link #TARGET_SUFFIX}, and the draft's work into
 * {@link #BRANCH_ROLLOUT} (hidden under the suffix) and {@link #DRAFT} (a miss: drafting afresh).
 */
public enum Phase {
    /** The prompt's forward pass. */
    PREFILL,
    /** Drafting a proposal on the critical path (serial SD, or Mirror after a miss). */
    DRAFT,
    /** The target's whole forward over a verification window (serial SD, autoregressive steps). */
    TARGET_FORWARD,
    /** Mirror: the target's layers 1..l_e and the early-exit top-kappa. */
    TARGET_PREFIX,
    /** Mirror: the target's layers l_e+1..N and the logits. */
    TARGET_SUFFIX,
    /** Mirror: the draft's branch-complete rollouts after an early-exit message. */
    BRANCH_ROLLOUT,
    /** Accept/reject of the window and the caches' rollback. */
    VERIFY,
    /**
     * Mirror: the target's wait from publishing its verdict to receiving the next proposal: a ring
     * round trip on a hit, the draft's fresh draft (its {@link #DRAFT} span) too on a miss.
     */
    RING_TRANSFER
}
