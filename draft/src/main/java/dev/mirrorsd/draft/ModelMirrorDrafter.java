package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.random.RandomGenerator;

/**
 * Mirror-SD's draft side with a draft model conditioned on tokens alone (the paper's setting): each
 * request's {@link BranchRollouts} rolls out every branch of a round as one tree window per draft
 * forward, and on a miss drafts afresh through the serial {@link ModelDrafter}'s session, in the
 * same draft cache.
 *
 * <p>With multi-token heads (speculative streaming, docs/design/mirror-sd.md section 6), one draft forward extends every
 * branch by 1 + heads tokens, so a rollout of gamma <= 1 + heads tokens is a single forward over
 * all branches at once.
 *
 * <p>Thread-safety: {@link #open} may be called from many threads.
 */
public final class ModelMirrorDrafter implements MirrorDrafter {
    private final ModelDrafter serial; // fresh drafts on a miss: a plain chain, no confidence stop
    private final int[] draftToTarget;
    private final int targetVocab;
    private final boolean multiTokenHeads;

    /**
     * @param draftToTarget   target id of each draft logit (a reduced draft vocabulary), or null when
     *                        the vocabularies coincide
     * @param multiTokenHeads extend branches through the draft's multi-token heads too, if it has any
     */
    public ModelMirrorDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, boolean multiTokenHeads) {
        this.serial = new ModelDrafter(draft, draftToTarget, targetVocab, 0f, 1, multiTokenHeads, "mirror");
        this.draftToTarget = TargetDistribution.checkedMap(draftToTarget, targetVocab);
        this.targetVocab = targetVocab;
        this.multiTokenHeads = multiTokenHeads;
    }

    @Override
    public MirrorDraftSession open(SamplingConfig sampling, RandomGenerator random, int gamma, int kappa,
                                   MissPolicy missPolicy, int capacity) {
        if (gamma < 1) {
            throw new IllegalArgumentException("gamma must be >= 1, got " + gamma);
        }
        // beyond the committed tokens, the cache holds one rollout window: gamma rows for each of the
        // (gamma + 1) * kappa branches at most
        long rolloutRows = (long) (gamma + 1) * kappa * gamma;
        DraftCache cache = serial.newCache((int) Math.min(capacity + rolloutRows, Integer.MAX_VALUE));
        try {
            return new BranchRollouts(cache, serial, draftToTarget, targetVocab, multiTokenHeads, sampling, random,
                    gamma, missPolicy, capacity);
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /**
     * The draft's vocabulary when it predicts over a reduced one: 96% of the target's tokens fall in
     * the project's draft vocabulary, and the target's full head would cost a fifth of its forward.
     */
    @Override
    public int[] draftVocabulary() {
        return draftToTarget == null ? null : draftToTarget.clone();
    }

    @Override
    public String name() {
        return serial.name();
    }

    @Override
    public void close() {
        serial.close();
    }
}
