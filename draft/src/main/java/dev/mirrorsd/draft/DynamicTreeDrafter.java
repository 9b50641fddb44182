package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * A draft model proposing a tree grown by its own confidence, as EAGLE-2 grows one (Li et al.
 * 2024). A node's score is the draft's probability of its whole path (the product of q along it),
 * which tracks how likely the target is to accept the path.
 * <ol>
 *   <li>Expand: the root's {@code branching} most probable tokens start the tree. At each further
 *       depth, one draft forward scores the frontier (the {@code branching} best nodes of the depth
 *       before); each frontier node gets its {@code branching} most probable children, and the
 *       best {@code branching} of those form the next frontier. Depth stops at the round's draft
 *       length.</li>
 *   <li>Rerank: of every node made, the {@code nodeBudget} best by score form the proposal. A
 *       child never scores above its parent, so the chosen nodes form a tree; rows come best
 *       first, parents before children, so a window cut short keeps the best nodes.</li>
 * </ol>
 * Children are the draft's top tokens, chosen deterministically given their path, so the verifier
 * treats each as a point mass and sampled output keeps the target's distribution.
 *
 * <p>The budget is the target's window: a GPU verifies tens of rows for about the cost of one, a
 * CPU pays for each row, so a CPU wants a small budget.
 *
 * <p>Every depth feeds the frontier's paths as one tree window after the committed context, and the
 * cache is cut back to the context afterwards: the draft's cache never holds a branch that other
 * branches could attend to.
 */
public final class DynamicTreeDrafter implements Drafter {
    private final CausalLM draft;
    private final int[] draftToTarget; // (draft vocab) target id of each draft logit, or null = identity
    private final int targetVocab;
    private final int branching;
    private final int nodeBudget;

    /**
     * @param draftToTarget target id per draft logit row, or null when the vocabularies coincide
     * @param branching     children per expanded node and nodes expanded per depth (EAGLE-2's top-k)
     * @param nodeBudget    draft tokens per round, the target's window less one row
     */
    public DynamicTreeDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, int branching, int nodeBudget) {
        if (branching < 1 || nodeBudget < 1) {
            throw new IllegalArgumentException("a dynamic tree needs branching >= 1 and a node budget >= 1, got "
                    + branching + " and " + nodeBudget);
        }
        this.draft = draft;
        this.draftToTarget = TargetDistribution.checkedMap(draftToTarget, targetVocab);
        this.targetVocab = targetVocab;
        this.branching = branching;
        this.nodeBudget = nodeBudget;
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        // the tree's tokens are chosen deterministically: no draw is made from random
        return new Session(new DraftCache(draft.newSequence(Math.min(capacity, draft.config().maxPositions()))),
                sampling);
    }

    @Override
    public String name() {
        return "draft-tree";
    }

    @Override
    public void close() {
        draft.close();
    }

    private final class Session implements DraftSession {
        private final DraftCache cache;
        private final Sequence sequence;
        private final TargetDistribution distribution;
        private final DraftTree tree = new DraftTree();
        private final int[] childTokens = new int[branching];
        private final double[] childLogProbs = new double[branching];

        Session(DraftCache cache, SamplingConfig sampling) {
            this.cache = cache;
            this.sequence = cache.sequence();
            this.distribution = new TargetDistribution(draftToTarget, targetVocab, sampling);
        }

        @Override
        public DraftProposal propose(int[] context, int length, int maxDepth) {
            int budget = Math.min(nodeBudget, sequence.capacity() - length);
            if (budget <= 0 || maxDepth <= 0) {
                return DraftProposal.chain();
            }
            tree.reset(branching + (maxDepth - 1) * branching * branching);
            int[] path = Arrays.copyOf(context, length + maxDepth); // the context, then one node's path
            // keep the cached prefix the context still agrees with; feed the rest, at least one token
            int keep = cache.commonPrefix(context, length - 1);
            sequence.truncate(keep);
            int[] feed = Arrays.copyOfRange(context, keep, length);
            try (ForwardPass pass = sequence.begin(Window.chain(feed, keep))) {
                pass.runTo(pass.layers());
                cache.holds(keep, feed, 0, feed.length);
                addChildren(-1, pass.logits(feed.length - 1), 0, path, length);
            }
            int[] frontier = tree.best(0, tree.size(), branching);
            for (int depth = 2; depth <= maxDepth && frontier.length > 0; depth++) {
                int firstChild = tree.size();
                Logits logits = scoreFrontier(frontier, length);
                for (int f = 0; f < frontier.length; f++) {
                    int pathLength = tree.path(frontier[f], path, length);
                    addChildren(frontier[f], logits, f, path, pathLength);
                }
                frontier = tree.best(firstChild, tree.size(), branching);
            }
            return tree.proposal(budget);
        }

        /**
         * The draft's logits after each frontier node: the union of their paths as one tree window
         * after the context, row {@code f} of the result for {@code frontier[f]}.
         */
        private Logits scoreFrontier(int[] frontier, int length) {
            int[] rows = tree.closure(frontier); // ascending node ids: parents before children
            int[] tokens = new int[rows.length];
            int[] parents = new int[rows.length];
            for (int i = 0; i < rows.length; i++) {
                tokens[i] = tree.token(rows[i]);
                int parent = tree.parent(rows[i]);
                parents[i] = parent < 0 ? -1 : Arrays.binarySearch(rows, 0, i, parent);
            }
            try (ForwardPass pass = sequence.begin(Window.tree(tokens, parents, length))) {
                pass.runTo(pass.layers());
                Logits all = pass.logits(0);
                int vocab = all.vocab();
                float[] values = new float[frontier.length * vocab];
                for (int f = 0; f < frontier.length; f++) {
                    int row = Arrays.binarySearch(rows, frontier[f]);
                    System.arraycopy(all.values(), row * vocab, values, f * vocab, vocab);
                }
                return new Logits(frontier.length, vocab, values);
            } finally {
                sequence.truncate(length); // the cache keeps the committed context only
            }
        }

        /** The {@code branching} most probable children of {@code parent}, scored by their path's probability. */
        private void addChildren(int parent, Logits logits, int row, int[] path, int pathLength) {
            int n = distribution.top(logits, row, path, pathLength, branching, childTokens, childLogProbs);
            double parentScore = parent < 0 ? 0 : tree.score(parent);
            for (int i = 0; i < n; i++) {
                tree.add(childTokens[i], parent, parentScore + childLogProbs[i]);
            }
        }

        @Override
        public void close() {
            cache.close();
        }
    }
}
