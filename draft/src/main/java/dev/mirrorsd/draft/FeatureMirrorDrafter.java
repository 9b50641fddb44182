package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Mirror-SD's draft side with a {@link FeatureDraftModel}: the early-exit message brings, with the
 * candidates, every window row's target features at layers up to l_e, which are the features the
 * draft reads. The rollout walks the window's rows in order: before the branches after row i, the
 * draft cache takes row i (fed with row i-1's features, as if rows 1..i were accepted); each branch
 * then starts from row i's features and a candidate, and goes on from the draft's own state. Only
 * the proposals are kept: the draft cache past the accepted rows is rewritten next round.
 *
 * <p>Thread-safety: {@link #open} may be called from many threads.
 */
public final class FeatureMirrorDrafter implements MirrorDrafter {
    private final FeatureDraftModel draft;

    public FeatureMirrorDrafter(FeatureDraftModel draft) {
        this.draft = draft;
    }

    @Override
    public MirrorDraftSession open(SamplingConfig sampling, RandomGenerator random, int gamma, int kappa,
                                   MissPolicy missPolicy, int capacity) {
        if (gamma < 1) {
            throw new IllegalArgumentException("gamma must be >= 1, got " + gamma);
        }
        return new Session(sampling, TokenSampler.over(random), gamma, kappa, missPolicy, capacity + gamma + 1);
    }

    @Override
    public int[] featureLayers() {
        return draft.featureLayers();
    }

    @Override
    public int[] draftVocabulary() {
        return draft.draftToTarget();
    }

    @Override
    public String name() {
        return "mirror";
    }

    private final class Session implements MirrorDraftSession {
        private final SamplingConfig sampling;
        private final TokenSampler sampler;
        private final TargetDistribution distribution;
        private final FeatureCursor cursor;
        private final int gamma;
        private final MissPolicy missPolicy;
        private final int[] context;      // the committed tokens, as the verdicts tell them
        private int length;               // committed tokens, the last one not yet verified by the target
        private EarlyExitMessage message; // this round's
        private DraftProposal[] branches; // (rows * kappa) rolled out after each candidate, or null
        private boolean hit;

        Session(SamplingConfig sampling, TokenSampler sampler, int gamma, int kappa, MissPolicy missPolicy,
                int capacity) {
            this.sampling = sampling;
            this.sampler = sampler;
            this.distribution = new TargetDistribution(draft.draftToTarget(), draft.targetVocab(), sampling);
            this.cursor = new FeatureCursor(draft, capacity);
            this.gamma = gamma;
            this.missPolicy = missPolicy;
            this.context = new int[capacity];
        }

        @Override
        public void prefill(int[] prompt) {
            if (prompt.length >= context.length) {
                throw new IllegalArgumentException("prompt of " + prompt.length + " tokens, capacity " + context.length);
            }
            System.arraycopy(prompt, 0, context, 0, prompt.length);
            length = prompt.length;
        }

        @Override
        public void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
            cursor.accept(firstPosition, window, width, rows);
        }

        @Override
        public void rollout(EarlyExitMessage message) {
            this.message = message;
            int rows = message.rows();
            int kappa = message.kappa();
            int width = message.featureWidth();
            if (width != cursor.width()) {
                throw new IllegalStateException("the early-exit message carries " + width
                        + " floats of features per row, the draft reads " + cursor.width());
            }
            // window row 0 is the token the last verdict committed, at position length
            int base = length;
            context[base] = message.windowToken(0);
            float[] features = message.featuresShared();
            branches = new DraftProposal[rows * kappa];
            cursor.catchUp(context, base + 1, false); // row 0, committed, is fed from the features before it
            for (int row = 0; row < rows; row++) {
                int position = base + row;
                if (position + 1 + gamma > cursor.capacity()) {
                    break;
                }
                context[position] = message.windowToken(row);
                if (row > 0) { // the cache takes window row `row`, fed by the row before's features
                    cursor.feed(features, (row - 1) * width, context[position], position, false);
                }
                for (int k = 0; k < kappa; k++) {
                    int candidate = message.candidate(row, k);
                    if (duplicate(row, k, candidate)) {
                        continue;
                    }
                    context[position + 1] = candidate;
                    cursor.feed(features, row * width, candidate, position + 1, true);
                    branches[row * kappa + k] = cursor.chain(gamma, distribution, sampling, sampler, context,
                            position + 2);
                }
            }
        }

        private boolean duplicate(int row, int rank, int candidate) {
            for (int k = 0; k < rank; k++) {
                if (message.candidate(row, k) == candidate) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public DraftProposal handOver(Verdict verdict) {
            int accepted = verdict.acceptedCount();
            int[] emitted = verdict.tokens();
            int base = length;
            // the committed positions' features: window row 0, then the accepted path's rows
            cursor.accept(base, message.featuresShared(), message.featureWidth(), verdict.keptWindowRows());
            if (base + 1 + emitted.length > context.length) {
                hit = false;
                length = Math.min(context.length - 1, base + 1 + emitted.length);
                return DraftProposal.chain();
            }
            System.arraycopy(emitted, 0, context, base + 1, emitted.length);
            length = base + 1 + emitted.length - 1; // the final token is committed but not yet verified
            int row = accepted; // a chain window: accepted rows are 1..accepted
            int kappa = message.kappa();
            hit = false;
            if (row < message.rows()) {
                for (int k = 0; k < kappa; k++) {
                    if (message.candidate(row, k) == verdict.finalToken() && branches[row * kappa + k] != null) {
                        hit = true;
                        return branches[row * kappa + k];
                    }
                }
            }
            if (missPolicy == MissPolicy.TARGET_STEP) {
                return DraftProposal.chain();
            }
            int budget = Math.min(gamma, cursor.capacity() - (length + 1));
            if (budget <= 0) {
                return DraftProposal.chain();
            }
            cursor.catchUp(context, length + 1, true);
            return cursor.chain(budget, distribution, sampling, sampler, context, length + 1);
        }

        @Override
        public boolean lastWasHit() {
            return hit;
        }

        @Override
        public void close() {
            cursor.close();
        }
    }
}
