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
        return new Session(sampling, random, Math.min(capacity, draft.config().maxPositions()));
    }

    @Override
    public void close() {
        draft.close();
    }

    private final class Session implements DraftSession {
        private final Sequence sequence;
        private final SamplingConfig sampling;
        private final TargetDistribution distribution;
        private final TokenSampler sampler;
        private int[] cached = new int[0];  // tokens whose keys and values the draft cache holds

        Session(SamplingConfig sampling, RandomGenerator random, int capacity) {
            this.sequence = draft.newSequence(capacity);
            this.sampling = sampling;
            this.distribution = new TargetDistribution(draftToTarget, targetVocab, sampling);
            // the request's draft generator: independent of the verifier's draws, reproducible from the seed
            this.sampler = TokenSampler.over(random);
        }

        @Override
        public DraftProposal propose(int[] context, int length, int maxTokens) {
            int budget = Math.min(maxTokens, sequence.capacity() - length);
            if (budget <= 0) {
                return DraftProposal.chain();
            }
            // keep the cached prefix the context still agrees with; feed the rest as one window
            int keep = commonPrefix(context, length);
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
                Logits[] heads = forward(feed);
                int before = drafted;
                for (int h = 0; h < heads.length && drafted < budget; h++) {
                    Logits head = heads[h];
                    float[] q = distribution.of(head, head.rows() - 1, working, length + drafted);
                    int token = sampling.isGreedy() ? TokenSampler.argmax(q) : sampler.sample(q);
                    if (q[token] < confidenceThreshold && drafted > 0) {
                        confident = false;
                        break;
                    }
                    if (drafted == 0 && rootBranches > 1) {
                        alternatives = runnersUp(q, token, rootBranches - 1);
                    }
                    tokens[drafted] = token;
                    if (distributions != null) {
                        distributions[drafted] = q;
                    }
                    working[length + drafted] = token;
                    drafted++;
                }
                feed = Arrays.copyOfRange(working, length + before, length + drafted);
            }
            // the cache holds a prefix of working: the context and the drafted tokens fed so far
            cached = Arrays.copyOf(working, sequence.length());
            float[][] chainDistributions = distributions == null ? null : Arrays.copyOf(distributions, drafted);
            if (alternatives.length == 0) {
                return DraftProposal.chain(Arrays.copyOf(tokens, drafted), chainDistributions);
            }
            return withRootAlternatives(Arrays.copyOf(tokens, drafted), chainDistributions, alternatives);
        }

        /** Feeds {@code tokens}; the last row's logits for t+1, then for t+2.. from the multi-token heads. */
        private Logits[] forward(int[] tokens) {
            try (ForwardPass pass = sequence.begin(Window.chain(tokens, sequence.length()))) {
                pass.runTo(pass.layers());
                int last = tokens.length - 1;
                int extra = streaming ? pass.multiTokenHeads() : 0;
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

        private int commonPrefix(int[] context, int length) {
            int n = Math.min(Math.min(cached.length, sequence.length()), length - 1); // feed >= 1 token
            int i = 0;
            while (i < n && cached[i] == context[i]) {
                i++;
            }
            return i;
        }

        @Override
        public void close() {
            sequence.close();
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
