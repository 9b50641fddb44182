package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * A draft model proposes a chain autoregressively: argmax under greedy decoding, a draw from the
 * request's processed distribution q (recorded for the rejection verifier) under sampling, taken
 * from the request's draft generator. Drafting
 * stops early once the draft's confidence (the probability of its chosen token) falls below a
 * threshold, like Hugging Face's {@code assistant_confidence_threshold} and llama.cpp's
 * {@code --draft-p-min}.
 *
 * <p>With {@code rootBranches > 1} the proposal is a tree: besides the drafted chain, the next
 * most likely first tokens become extra one-token branches at the root (chosen deterministically,
 * so verified as point masses), which rescues a round whose first draft token is rejected at the
 * cost of a few extra rows in the target's window, and no extra draft forward.
 *
 * <p>The draft may predict over a reduced vocabulary (EAGLE-3 style): {@code draftToTarget} maps its
 * logit rows to target ids; target ids outside it are never proposed.
 */
public final class ModelDrafter implements Drafter {
    private final CausalLM draft;
    private final int[] draftToTarget; // (draft vocab) target id of each draft logit, or null = identity
    private final int targetVocab;
    private final float confidenceThreshold;
    private final int rootBranches;
    private final boolean streaming;
    private final String name;

    /**
     * @param draftToTarget       target id per draft logit row, or null when the vocabularies coincide
     * @param targetVocab         size of the target's vocabulary
     * @param confidenceThreshold stop a round when the chosen token's probability is below it; 0 = never
     */
    public ModelDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, float confidenceThreshold) {
        this(draft, draftToTarget, targetVocab, confidenceThreshold, 1, false, "draft");
    }

    /** As above, proposing a tree with {@code rootBranches} first tokens (1 = a chain). */
    public ModelDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, float confidenceThreshold,
                        int rootBranches) {
        this(draft, draftToTarget, targetVocab, confidenceThreshold, rootBranches, false, "draft");
    }

    ModelDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, float confidenceThreshold, int rootBranches,
                 boolean streaming, String name) {
        if (rootBranches < 1) {
            throw new IllegalArgumentException("root branches must be >= 1, got " + rootBranches);
        }
        if (!(confidenceThreshold >= 0 && confidenceThreshold < 1)) {
            throw new IllegalArgumentException("confidence threshold must be in [0, 1), got " + confidenceThreshold);
        }
        this.draft = draft;
        this.draftToTarget = TargetDistribution.checkedMap(draftToTarget, targetVocab);
        this.targetVocab = targetVocab;
        this.confidenceThreshold = confidenceThreshold;
        this.rootBranches = rootBranches;
        this.streaming = streaming;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        DraftCache cache = newCache(capacity);
        // the request's draft generator: independent of the verifier's draws, reproducible from the seed
        return new Session(cache, true, sampling, TokenSampler.over(random));
    }

    /**
     * A session drafting into a cache that its caller owns and also fills (Mirror-SD's branch
     * rollouts, whose misses draft afresh through it), drawing from the caller's {@code sampler}.
     * Closing the session leaves the cache open.
     */
    DraftSession openOn(DraftCache cache, SamplingConfig sampling, TokenSampler sampler) {
        return new Session(cache, false, sampling, sampler);
    }

    /** Opens a draft cache of {@code capacity} positions, at most the draft's own limit. */
    DraftCache newCache(int capacity) {
        return new DraftCache(draft.newSequence(Math.min(capacity, draft.config().maxPositions())));
    }

    @Override
    public void close() {
        draft.close();
    }

    private final class Session implements DraftSession {
        private final DraftCache cache;
        private final Sequence sequence;
        private final boolean ownsCache;
        private final SamplingConfig sampling;
        private final TargetDistribution distribution;
        private final TokenSampler sampler;
        // greedy chains without a confidence stop only need each row's argmax, never q
        private final boolean argmaxOnly;

        Session(DraftCache cache, boolean ownsCache, SamplingConfig sampling, TokenSampler sampler) {
            this.cache = cache;
            this.sequence = cache.sequence();
            this.ownsCache = ownsCache;
            this.sampling = sampling;
            this.distribution = new TargetDistribution(draftToTarget, targetVocab, sampling);
            this.sampler = sampler;
            this.argmaxOnly = sampling.isGreedy() && confidenceThreshold == 0 && rootBranches == 1;
        }

        @Override
        public DraftProposal propose(int[] context, int length, int maxTokens) {
            int budget = Math.min(maxTokens, sequence.capacity() - length);
            if (budget <= 0) {
                return DraftProposal.chain();
            }
            // keep the cached prefix the context still agrees with; feed the rest as one window
            int keep = cache.commonPrefix(context, length - 1); // feed >= 1 token
            sequence.truncate(keep);
            int[] working = Arrays.copyOf(context, length + budget);
            int[] tokens = new int[budget];
            float[][] distributions = sampling.isGreedy() ? null : new float[budget][];
            int[] alternatives = new int[0];
            int drafted = 0;
            int[] feed = Arrays.copyOfRange(context, keep, length);
            boolean confident = true;
            while (confident && drafted < budget) {
                // one draft forward proposes one token, or one per head when streaming
                int fedTo = sequence.length();
                Logits[] heads = forward(feed, budget - drafted);
                cache.holds(fedTo, feed, 0, feed.length);
                int before = drafted;
                for (int h = 0; h < heads.length && drafted < budget; h++) {
                    Logits head = heads[h];
                    int row = head.rows() - 1;
                    int token;
                    if (argmaxOnly) {
                        token = distribution.argmax(head, row);
                    } else {
                        float[] q = distribution.of(head, row, working, length + drafted);
                        token = sampling.isGreedy() ? TokenSampler.argmax(q) : sampler.sample(q);
                        if (q[token] < confidenceThreshold && drafted > 0) {
                            confident = false;
                            break;
                        }
                        if (drafted == 0 && rootBranches > 1) {
                            alternatives = runnersUp(q, token, rootBranches - 1);
                        }
                        if (distributions != null) {
                            distributions[drafted] = q;
                        }
                    }
                    tokens[drafted] = token;
                    working[length + drafted] = token;
                    drafted++;
                }
                feed = Arrays.copyOfRange(working, length + before, length + drafted);
            }
            float[][] chainDistributions = distributions == null ? null : Arrays.copyOf(distributions, drafted);
            if (alternatives.length == 0) {
                return DraftProposal.chain(Arrays.copyOf(tokens, drafted), chainDistributions);
            }
            return withRootAlternatives(Arrays.copyOf(tokens, drafted), chainDistributions, alternatives);
        }

        /**
         * Feeds {@code tokens}; the last row's logits for t+1, then, when streaming, for t+2.. from
         * the multi-token heads, as many as {@code wanted} tokens need.
         */
        private Logits[] forward(int[] tokens, int wanted) {
            try (ForwardPass pass = sequence.begin(Window.chain(tokens, sequence.length()))) {
                pass.runTo(pass.layers());
                int last = tokens.length - 1;
                int extra = streaming ? Math.min(pass.multiTokenHeads(), wanted - 1) : 0;
                Logits[] heads = new Logits[1 + extra];
                heads[0] = pass.logits(last);
                for (int k = 0; k < extra; k++) {
                    heads[1 + k] = pass.multiTokenLogits(k, last);
                }
                return heads;
            }
        }

        /**
         * The chain, then one-token root branches. Their tokens are chosen deterministically given
         * the chain's first token, so each is a point mass (null distribution).
         */
        private DraftProposal withRootAlternatives(int[] chain, float[][] chainDistributions, int[] alternatives) {
            int n = chain.length + alternatives.length;
            int[] tokens = Arrays.copyOf(chain, n);
            int[] parents = new int[n];
            float[][] distributions = chainDistributions == null ? null : Arrays.copyOf(chainDistributions, n);
            for (int i = 0; i < chain.length; i++) {
                parents[i] = i - 1;
            }
            for (int i = 0; i < alternatives.length; i++) {
                tokens[chain.length + i] = alternatives[i];
                parents[chain.length + i] = -1;
            }
            return DraftProposal.tree(tokens, parents, distributions);
        }

        @Override
        public void close() {
            if (ownsCache) {
                cache.close();
            }
        }
    }

    /** The {@code count} most probable tokens other than {@code chosen} with non-zero probability, best first. */
    static int[] runnersUp(float[] q, int chosen, int count) {
        int[] best = new int[count];
        int found = 0;
        for (int k = 0; k < count; k++) {
            int arg = -1;
            for (int i = 0; i < q.length; i++) {
                if (i != chosen && q[i] > 0 && (arg < 0 || q[i] > q[arg]) && !contains(best, found, i)) {
                    arg = i;
                }
            }
            if (arg < 0) {
                break;
            }
            best[found++] = arg;
        }
        return Arrays.copyOf(best, found);
    }

    private static boolean contains(int[] values, int count, int value) {
        for (int i = 0; i < count; i++) {
            if (values[i] == value) {
                return true;
            }
        }
        return false;
    }
}
