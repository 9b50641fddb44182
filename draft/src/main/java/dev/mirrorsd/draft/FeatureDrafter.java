package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Drafts chains with a {@link FeatureDraftModel}, on the request's thread (the steps run where the
 * model does: in Java, or on an engine's GPU). Each round the
 * session first catches up on the positions the target committed since the last one, each from
 * the target's features of the position before it (the serial loop hands them over from its
 * verification pass); then it drafts from its own hidden state, as EAGLE does. Drafted positions
 * are overwritten the next round by the target's features of whatever was committed there.
 *
 * <p>Chains: greedy, the argmax over the draft vocabulary; sampling, a draw from the request's
 * processed distribution over the draft vocabulary (mapped to target ids), recorded for the
 * rejection test. Trees, as {@link DynamicTreeDrafter} grows them (EAGLE-2): each expanded node is
 * one draft step from its parent's hidden state, attending to the committed positions and its own
 * ancestors; children are the draft's top tokens, point masses for the verifier.
 */
public final class FeatureDrafter implements Drafter {
    /** Deepest tree drafted; its nodes' cache slots are reserved when a session opens. */
    private static final int MAX_TREE_DEPTH = 16;

    private final FeatureDraftModel draft;
    private final int branching; // 0: chains
    private final int nodeBudget;

    /** Chains. */
    public FeatureDrafter(FeatureDraftModel draft) {
        this.draft = draft;
        this.branching = 0;
        this.nodeBudget = 0;
    }

    /**
     * Dynamic trees of {@code nodeBudget} draft tokens per round, {@code branching} children per
     * expanded node and nodes expanded per depth; the round's draft length bounds the depth.
     */
    public FeatureDrafter(FeatureDraftModel draft, int branching, int nodeBudget) {
        if (branching < 1 || nodeBudget < 1) {
            throw new IllegalArgumentException("a dynamic tree needs branching >= 1 and a node budget >= 1, got "
                    + branching + " and " + nodeBudget);
        }
        this.draft = draft;
        this.branching = branching;
        this.nodeBudget = nodeBudget;
    }

    @Override
    public String name() {
        return branching == 0 ? "draft" : "draft-tree";
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
        private final int committedCapacity;
        private final DraftTree tree = new DraftTree();
        private final int[] childTokens = new int[branching];
        private final double[] childLogProbs = new double[branching];
        private float[] rootG = new float[0];
        private float[][] nodeG = new float[0][];
        // one tree depth's window, a row per expanded node
        private int[][] ancestors = new int[0][];
        private final float[][] parentGs = new float[branching][];
        private final float[][] frontierG = new float[branching][];
        private final int[] tokens = new int[branching];
        private final int[] positions = new int[branching];
        private final int[] slots = new int[branching];
        private final int[] ancestorCounts = new int[branching];

        Session(SamplingConfig sampling, TokenSampler sampler, int capacity) {
            this.sampling = sampling;
            this.sampler = sampler;
            this.distribution = new TargetDistribution(draft.draftToTarget(), draft.targetVocab(), sampling);
            this.committedCapacity = capacity;
            // a tree's nodes take cache slots past the committed positions, one each, as far as the
            // draft's cache goes (a round near its end grows a shallower tree)
            int treeSlots = branching == 0 ? 0 : maxNodes(MAX_TREE_DEPTH);
            this.cursor = new FeatureCursor(draft, Math.max(capacity, (int) Math.min(draft.maxCapacity(),
                    (long) capacity + treeSlots)));
        }

        private int maxNodes(int depth) {
            return branching + Math.max(0, depth - 1) * branching * branching;
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
            int room = committedCapacity - length;
            if (maxTokens <= 0 || room <= 0 || length < 1) {
                return DraftProposal.chain();
            }
            cursor.catchUp(context, length, true);
            if (branching == 0) {
                return cursor.chain(Math.min(maxTokens, room), distribution, sampling, sampler, context, length);
            }
            return tree(context, length, maxTokens, Math.min(nodeBudget, room));
        }

        /** EAGLE-2's expand and rerank over {@code maxDepth} depths; node n's cache slot is length + n. */
        private DraftProposal tree(int[] context, int length, int depthWanted, int budget) {
            int maxDepth = Math.min(depthWanted, MAX_TREE_DEPTH);
            while (maxDepth > 1 && length + maxNodes(maxDepth) > cursor.capacity()) {
                maxDepth--; // no room for the deeper nodes' slots
            }
            int maxNodes = maxNodes(maxDepth);
            int hidden = draft.hiddenSize();
            if (nodeG.length < maxNodes) {
                nodeG = new float[maxNodes][hidden];
                rootG = new float[hidden];
            }
            if (ancestors.length < branching || ancestors[0].length < maxDepth + 1) {
                ancestors = new int[branching][maxDepth + 1];
            }
            tree.reset(maxNodes);
            System.arraycopy(cursor.g(), 0, rootG, 0, hidden);
            int[] path = Arrays.copyOf(context, length + maxDepth);
            addChildren(-1, path, length);
            int[] frontier = tree.best(0, tree.size(), branching);
            for (int depth = 2; depth <= maxDepth && frontier.length > 0; depth++) {
                int firstChild = tree.size();
                int rows = frontier.length;
                for (int r = 0; r < rows; r++) {
                    int node = frontier[r];
                    int n = 0;
                    for (int a = node; a >= 0; a = tree.parent(a)) {
                        ancestors[r][n++] = length + a;
                    }
                    int parent = tree.parent(node);
                    parentGs[r] = parent < 0 ? rootG : nodeG[parent];
                    frontierG[r] = nodeG[node];
                    tokens[r] = tree.token(node);
                    // the node's token sits at position length - 1 + its depth, which is depth - 1 here
                    positions[r] = length + depth - 2;
                    slots[r] = length + node;
                    ancestorCounts[r] = n;
                }
                // the depth's nodes in one window: their children are chosen once all of them have run
                Logits logits = cursor.treeSteps(parentGs, tokens, positions, slots, rows, length - 1, ancestors,
                        ancestorCounts, frontierG);
                for (int r = 0; r < rows; r++) {
                    addChildren(frontier[r], logits, r, path, tree.path(frontier[r], path, length));
                }
                frontier = tree.best(firstChild, tree.size(), branching);
            }
            return tree.proposal(budget);
        }

        /** The {@code branching} most probable children of {@code parent}, from the cursor's logits. */
        private void addChildren(int parent, int[] path, int pathLength) {
            addChildren(parent, cursor.logits(), 0, path, pathLength);
        }

        /** The same from row {@code row} of {@code logits}. */
        private void addChildren(int parent, Logits logits, int row, int[] path, int pathLength) {
            int n = distribution.top(logits, row, path, pathLength, branching, childTokens, childLogProbs);
            double parentScore = parent < 0 ? 0 : tree.score(parent);
            for (int i = 0; i < n; i++) {
                tree.add(childTokens[i], parent, parentScore + childLogProbs[i]);
            }
        }

        @Override
        public void close() {
            cursor.close();
        }
    }
}
