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
        private final Tree tree = new Tree();

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
            float[] q = distribution.of(logits, row, path, pathLength);
            double parentScore = parent < 0 ? 0 : tree.score(parent);
            for (int token : top(q, branching)) {
                tree.add(token, parent, parentScore + Math.log(q[token]));
            }
        }

        @Override
        public void close() {
            cache.close();
        }
    }

    /** The {@code k} tokens of highest non-zero probability, best first. */
    static int[] top(float[] q, int k) {
        int[] best = new int[k];
        int found = 0;
        for (int i = 0; i < q.length; i++) {
            if (q[i] <= 0) {
                continue;
            }
            if (found < k) {
                found++;
            } else if (q[i] <= q[best[k - 1]]) {
                continue;
            }
            int j = found - 1;
            while (j > 0 && q[best[j - 1]] < q[i]) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        return Arrays.copyOf(best, found);
    }

    /** The nodes of one round's tree; node ids ascend in the order nodes were made, parents first. */
    private static final class Tree {
        private int[] tokens = new int[0];
        private int[] parents = new int[0];
        private double[] scores = new double[0];
        private int size;

        void reset(int capacity) {
            if (tokens.length < capacity) {
                tokens = new int[capacity];
                parents = new int[capacity];
                scores = new double[capacity];
            }
            size = 0;
        }

        void add(int token, int parent, double score) {
            tokens[size] = token;
            parents[size] = parent;
            scores[size] = score;
            size++;
        }

        int size() {
            return size;
        }

        int token(int node) {
            return tokens[node];
        }

        int parent(int node) {
            return parents[node];
        }

        double score(int node) {
            return scores[node];
        }

        /** Writes the path to {@code node} after {@code out[0..length)}; returns the new length. */
        int path(int node, int[] out, int length) {
            int depth = 0;
            for (int n = node; n >= 0; n = parents[n]) {
                depth++;
            }
            for (int n = node, i = length + depth - 1; n >= 0; n = parents[n], i--) {
                out[i] = tokens[n];
            }
            return length + depth;
        }

        /** Every node on the paths to {@code nodes}, ascending. */
        int[] closure(int[] nodes) {
            boolean[] in = new boolean[size];
            for (int node : nodes) {
                for (int n = node; n >= 0 && !in[n]; n = parents[n]) {
                    in[n] = true;
                }
            }
            int count = 0;
            int[] out = new int[size];
            for (int n = 0; n < size; n++) {
                if (in[n]) {
                    out[count++] = n;
                }
            }
            return Arrays.copyOf(out, count);
        }

        /** Up to {@code k} nodes of ids {@code from..to-1}, best score first (ties: the earlier node). */
        int[] best(int from, int to, int k) {
            Integer[] ids = new Integer[to - from];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = from + i;
            }
            Arrays.sort(ids, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a])
                    : Integer.compare(a, b));
            int n = Math.min(k, ids.length);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = ids[i];
            }
            return out;
        }

        /**
         * The {@code budget} best nodes as a proposal, best first. A node whose parent did not make
         * the cut is skipped (only possible on ties), so the rows always form a tree.
         */
        DraftProposal proposal(int budget) {
            int[] ranked = best(0, size, size);
            int[] row = new int[size];
            Arrays.fill(row, -1);
            int[] outTokens = new int[Math.min(budget, size)];
            int[] outParents = new int[outTokens.length];
            int n = 0;
            for (int i = 0; i < ranked.length && n < outTokens.length; i++) {
                int node = ranked[i];
                int parent = parents[node];
                if (parent >= 0 && row[parent] < 0) {
                    continue;
                }
                row[node] = n;
                outTokens[n] = tokens[node];
                outParents[n] = parent < 0 ? -1 : row[parent];
                n++;
            }
            return DraftProposal.tree(Arrays.copyOf(outTokens, n), Arrays.copyOf(outParents, n));
        }
    }
}
