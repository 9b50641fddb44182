package dev.mirrorsd.draft;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.random.RandomGenerator;

/**
 * Drafts chains with a {@link FeatureDraft}, in Java on the request's thread. Each round the
 * session first catches up on the positions the target committed since the last one, each from
 * the target's features of the position before it (the serial loop hands them over from its
 * verification pass); then it drafts from its own hidden state, as EAGLE does. Drafted positions
 * are overwritten the next round by the target's features of whatever was committed there.
 *
 * <p>Greedy: argmax over the draft vocabulary. Sampling: a draw from the request's processed
 * distribution over the draft vocabulary (mapped to target ids), recorded for the rejection test.
 */
public final class FeatureDrafter implements Drafter {
    private final FeatureDraft draft;

    public FeatureDrafter(FeatureDraft draft) {
        this.draft = draft;
    }

    @Override
    public String name() {
        return "draft";
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        return new Session(sampling, TokenSampler.over(random), capacity + 1);
    }

    private final class Session implements DraftSession {
        private final SamplingConfig sampling;
        private final TokenSampler sampler;
        private final TargetDistribution distribution;
        private final FeatureCursor cursor;

        Session(SamplingConfig sampling, TokenSampler sampler, int capacity) {
            this.sampling = sampling;
            this.sampler = sampler;
            this.distribution = new TargetDistribution(draft.draftToTargetShared(), draft.targetVocab, sampling);
            this.cursor = new FeatureCursor(draft, capacity);
        }

        @Override
        public int[] featureLayers() {
            return draft.featureLayers();
        }

        @Override
        public void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
            cursor.accept(firstPosition, window, width, rows);
        }

        @Override
        public DraftProposal propose(int[] context, int length, int maxTokens) {
            int budget = Math.min(maxTokens, cursor.capacity() - length);
            if (budget <= 0 || length < 2) {
                return DraftProposal.chain();
            }
            cursor.catchUp(context, length, true);
            return cursor.chain(budget, distribution, sampling, sampler, context, length);
        }

        @Override
        public void close() {
        }
    }
}
