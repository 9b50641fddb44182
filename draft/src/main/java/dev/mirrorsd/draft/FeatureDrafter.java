package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;
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
        private final FeatureDraft.State state;
        private final int width;
        private final float[] features;  // (capacity, width): the target's, by position
        private final int[] fedTokens;   // token the cache holds at each position fed from target features
        private final float[] g;         // the draft's hidden state after its last step
        private final float[] logits;    // (draft vocabulary)
        private int known;               // positions 0..known-1 have target features
        private int fed = 1;             // positions 1..fed-1 are cached from target features

        Session(SamplingConfig sampling, TokenSampler sampler, int capacity) {
            this.sampling = sampling;
            this.sampler = sampler;
            this.distribution = new TargetDistribution(draft.draftToTargetShared(), draft.targetVocab, sampling);
            this.state = draft.newState(capacity);
            this.width = draft.featureWidth();
            this.features = new float[capacity * width];
            this.fedTokens = new int[capacity];
            this.g = new float[draft.hidden];
            this.logits = new float[draft.draftVocab];
        }

        @Override
        public int[] featureLayers() {
            return draft.featureLayers();
        }

        @Override
        public void acceptFeatures(int firstPosition, float[] window, int rowWidth, int[] rows) {
            if (rowWidth != width) {
                throw new IllegalArgumentException("features of width " + rowWidth + ", the draft reads " + width);
            }
            int count = Math.min(rows.length, state.capacity() - firstPosition);
            for (int i = 0; i < count; i++) {
                System.arraycopy(window, rows[i] * width, features, (firstPosition + i) * width, width);
            }
            known = firstPosition + count;
            fed = Math.min(fed, Math.max(1, firstPosition + 1)); // positions after firstPosition read new features
        }

        @Override
        public DraftProposal propose(int[] context, int length, int maxTokens) {
            int budget = Math.min(maxTokens, state.capacity() - length);
            if (budget <= 0 || length < 2) {
                return DraftProposal.chain();
            }
            if (known < length - 1) {
                throw new IllegalStateException("the draft has target features for " + known + " positions, the"
                        + " context holds " + length + " tokens: the decoding loop did not hand them over");
            }
            // positions 1..fed-1 stay cached while their tokens still agree with the context
            fed = Math.min(fed, length - 1);
            for (int p = 1; p < fed; p++) {
                if (fedTokens[p] != context[p]) {
                    fed = p;
                    break;
                }
            }
            for (int p = fed; p < length; p++) {
                state.step(features, (p - 1) * width, true, context[p], p, 1, g, p == length - 1 ? logits : null);
                fedTokens[p] = context[p];
            }
            fed = length;
            int[] tokens = new int[budget];
            float[][] distributions = sampling.isGreedy() ? null : new float[budget][];
            int[] working = sampling.isGreedy() ? null : Arrays.copyOf(context, length + budget);
            Logits row = new Logits(1, draft.draftVocab, logits);
            for (int i = 0; i < budget; i++) {
                if (i > 0) {
                    state.step(g, 0, false, tokens[i - 1], length - 1 + i, 1, g, logits);
                }
                if (distributions == null) {
                    tokens[i] = distribution.argmax(row, 0);
                } else {
                    float[] q = distribution.of(row, 0, working, length + i);
                    tokens[i] = sampler.sample(q);
                    distributions[i] = q;
                    working[length + i] = tokens[i];
                }
            }
            return DraftProposal.chain(tokens, distributions);
        }

        @Override
        public void close() {
        }
    }
}
