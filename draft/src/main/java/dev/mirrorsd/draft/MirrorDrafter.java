package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.random.RandomGenerator;

/**
 * The draft pipeline of Mirror-SD (MIRROR_SD.md section 3): a draft model that, on the target's
 * early-exit message, rolls out a branch after every likely outcome of the running verification,
 * and on the verdict hands over the matching branch (a hit) or, on a miss, what its
 * {@link MissPolicy} says. One drafter serves many requests; each opens its own
 * {@link BranchRollouts}.
 *
 * <p>With multi-token heads (speculative streaming, section 4), one draft forward extends every
 * branch by 1 + heads tokens, so a rollout of gamma <= 1 + heads tokens is a single forward over
 * all branches at once.
 *
 * <p>Thread-safety: {@link #open} may be called from many threads.
 */
public final class MirrorDrafter implements AutoCloseable {
    private final CausalLM draft;
    private final int[] draftToTarget;
    private final int targetVocab;
    private final boolean multiTokenHeads;

    /**
     * @param draftToTarget   target id of each draft logit (a reduced draft vocabulary), or null when
     *                        the vocabularies coincide
     * @param multiTokenHeads extend branches through the draft's multi-token heads too, if it has any
     */
    public MirrorDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, boolean multiTokenHeads) {
        this.draft = draft;
        this.draftToTarget = TargetDistribution.checkedMap(draftToTarget, targetVocab);
        this.targetVocab = targetVocab;
        this.multiTokenHeads = multiTokenHeads;
    }

    /**
     * Starts one request's draft pipeline.
     *
     * @param random     the request's draft generator ({@code RequestRandom.draft()}): the branch
     *                   rollouts and fresh drafts draw from it, and from nothing else
     * @param gamma      draft tokens per branch and per fresh draft
     * @param kappa      early-exit candidates per window row
     * @param missPolicy what a verdict that matches no branch leads to
     * @param capacity   most positions the request will reach (prompt + new tokens + one window)
     */
    public BranchRollouts open(SamplingConfig sampling, RandomGenerator random, int gamma, int kappa,
                               MissPolicy missPolicy, int capacity) {
        // beyond the committed tokens, the cache holds one rollout window: gamma rows for each of the
        // (gamma + 1) * kappa branches at most
        long rolloutRows = (long) (gamma + 1) * kappa * gamma;
        int sized = (int) Math.min(capacity + rolloutRows, draft.config().maxPositions());
        return new BranchRollouts(draft, draftToTarget, targetVocab, multiTokenHeads, sampling, random, gamma,
                missPolicy, sized);
    }

    /**
     * Target ids the draft predicts, or null for all: a cheap vocabulary for the target's early-exit
     * proxy, whose full head would cost a fifth of a target forward (96% of the target's tokens fall
     * in the project's draft vocabulary).
     */
    public int[] draftVocabulary() {
        return draftToTarget == null ? null : draftToTarget.clone();
    }

    public String name() {
        return "mirror";
    }

    @Override
    public void close() {
        draft.close();
    }
}
