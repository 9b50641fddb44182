package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.testing.ChiSquare;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Statistical losslessness. The target's distribution at output position k is a fixed P[k],
 * independent of the context, so sampling from the target gives independent tokens x_k ~ P[k]; the
 * draft proposes from fixed Q[k] (different from P[k], with support P lacks and lacking support P
 * has, as after top-k). Each trial decodes
 * speculatively, round after round, until {@link #POSITIONS} tokens are out; the token counts at
 * every position must pass a chi-square goodness-of-fit test against P[k] (fixed seed, p > 0.001).
 * A verifier with a broken residual must fail it.
 */
class RejectionVerifierLosslessnessTest {

    static final int TRIALS = 200_000;
    static final int POSITIONS = 3;
    static final double ALPHA = 1e-3;

    static final float[][] P = {
        {0.30f, 0.25f, 0.20f, 0.15f, 0.10f, 0.00f},
        {0.05f, 0.10f, 0.40f, 0.05f, 0.20f, 0.20f},
        {0.25f, 0.00f, 0.15f, 0.30f, 0.10f, 0.20f},
        {0.10f, 0.20f, 0.10f, 0.20f, 0.30f, 0.10f},
    };
    static final float[][] Q = {
        {0.10f, 0.40f, 0.05f, 0.05f, 0.20f, 0.20f},
        {0.30f, 0.00f, 0.10f, 0.50f, 0.10f, 0.00f},
        {0.20f, 0.20f, 0.20f, 0.20f, 0.10f, 0.10f},
        {0.50f, 0.10f, 0.10f, 0.10f, 0.10f, 0.10f},
    };
    static final int VOCAB = P[0].length;

    static float[] p(int position) {
        return P[position % P.length];
    }

    static float[] q(int position) {
        return Q[position % Q.length];
    }

    /** How the draft builds one round's proposal starting at output position {@code base}. */
    interface Drafter {
        DraftProposal propose(int base, SplittableRandom random);
    }

    /** A chain of gamma tokens, x_i ~ Q[base + i]. */
    static Drafter chain(int gamma) {
        return (base, random) -> {
            int[] tokens = new int[gamma];
            float[][] qs = new float[gamma][];
            for (int i = 0; i < gamma; i++) {
                qs[i] = q(base + i);
                tokens[i] = TokenSampler.sample(qs[i], 0, VOCAB, random);
            }
            return DraftProposal.chain(tokens, qs);
        };
    }

    /**
     * {@code m} root children, each followed by a chain of {@code depth - 1} sampled tokens. Root
     * children drawn i.i.d. from Q[base] ({@code deterministic = false}) or the m most likely
     * tokens of Q[base] as point masses ({@code deterministic = true}).
     */
    static Drafter branches(int m, int depth, boolean deterministic) {
        return (base, random) -> {
            int[] top = topM(q(base), m);
            TreeBuilder tree = new TreeBuilder();
            for (int branch = 0; branch < m; branch++) {
                int root = deterministic
                        ? tree.add(-1, top[branch], null)
                        : tree.add(-1, TokenSampler.sample(q(base), 0, VOCAB, random), q(base));
                tree.chainBelow(root, base + 1, depth - 1, random);
            }
            return tree.build();
        };
    }

    static Drafter twoBranches(int depth, boolean deterministic) {
        return branches(2, depth, deterministic);
    }

    /**
     * {@code m} root children drawn without replacement from Q[base]; child j's distribution is Q
     * with the earlier siblings zeroed and renormalised (its law given them), then a sampled chain.
     */
    static Drafter withoutReplacement(int m, int depth) {
        return (base, random) -> {
            TreeBuilder tree = new TreeBuilder();
            float[] left = q(base).clone();
            for (int branch = 0; branch < m; branch++) {
                float[] conditional = normalised(left);
                int token = TokenSampler.sample(conditional, 0, VOCAB, random);
                int root = tree.add(-1, token, conditional);
                left[token] = 0f;
                tree.chainBelow(root, base + 1, depth - 1, random);
            }
            return tree.build();
        };
    }

    static float[] normalised(float[] weights) {
        double sum = 0;
        for (float w : weights) {
            sum += w;
        }
        float[] out = new float[weights.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (weights[i] / sum);
        }
        return out;
    }

    /** Rows appended parents first. */
    static final class TreeBuilder {
        final List<Integer> tokens = new ArrayList<>();
        final List<Integer> parents = new ArrayList<>();
        final List<float[]> qs = new ArrayList<>();

        int add(int parent, int token, float[] q) {
            tokens.add(token);
            parents.add(parent);
            qs.add(q);
            return tokens.size() - 1;
        }

        /** {@code length} tokens below {@code row}, the i-th drawn from Q[position + i]. */
        void chainBelow(int row, int position, int length, SplittableRandom random) {
            for (int i = 0; i < length; i++) {
                float[] dist = q(position + i);
                row = add(row, TokenSampler.sample(dist, 0, VOCAB, random), dist);
            }
        }

        DraftProposal build() {
            return DraftProposal.tree(tokens.stream().mapToInt(Integer::intValue).toArray(),
                    parents.stream().mapToInt(Integer::intValue).toArray(), qs.toArray(new float[0][]));
        }
    }

    /** The m most likely tokens, lower id first on ties. */
    static int[] topM(float[] dist, int m) {
        int[] top = new int[m];
        boolean[] taken = new boolean[dist.length];
        for (int j = 0; j < m; j++) {
            int best = -1;
            for (int t = 0; t < dist.length; t++) {
                if (!taken[t] && (best < 0 || dist[t] > dist[best])) {
                    best = t;
                }
            }
            taken[best] = true;
            top[j] = best;
        }
        return top;
    }

    /** The target's scores for a proposal at {@code base}: row after a node at depth d is P[base + d]. */
    static TargetScores scores(DraftProposal proposal, int base) {
        int[] depth = new int[proposal.size()];
        float[] values = new float[(proposal.size() + 1) * VOCAB];
        System.arraycopy(p(base), 0, values, 0, VOCAB);
        for (int r = 0; r < proposal.size(); r++) {
            int parent = proposal.parent(r);
            depth[r] = parent < 0 ? 1 : depth[parent] + 1;
            System.arraycopy(p(base + depth[r]), 0, values, (r + 1) * VOCAB, VOCAB);
        }
        return TargetScores.ofProbabilities(proposal.size() + 1, VOCAB, values);
    }

    /** counts[k][token]: tokens emitted at output position k over all trials. */
    static long[][] simulate(Supplier<Verifier> verifiers, Drafter drafter, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Verifier verifier = verifiers.get();
        long[][] counts = new long[POSITIONS][VOCAB];
        for (int trial = 0; trial < TRIALS; trial++) {
            int produced = 0;
            while (produced < POSITIONS) {
                DraftProposal proposal = drafter.propose(produced, random);
                Verdict verdict = verifier.verify(proposal, scores(proposal, produced), random);
                for (int token : verdict.tokens()) {
                    if (produced < POSITIONS) {
                        counts[produced][token]++;
                    }
                    produced++;
                }
            }
        }
        return counts;
    }

    /** The smallest p-value over the positions; zero-probability tokens must never appear. */
    static double worstPValue(long[][] counts) {
        double worst = 1;
        for (int k = 0; k < POSITIONS; k++) {
            double[] expected = new double[VOCAB];
            for (int t = 0; t < VOCAB; t++) {
                expected[t] = p(k)[t];
                if (expected[t] == 0) {
                    assertEquals(0, counts[k][t], "position " + k + " emitted token " + t + " of probability 0");
                }
            }
            worst = Math.min(worst, ChiSquare.pValue(counts[k], expected));
        }
        return worst;
    }

    private static void assertLossless(Drafter drafter, long seed) {
        double pValue = worstPValue(simulate(RejectionVerifier::new, drafter, seed));
        assertTrue(pValue > ALPHA, "chi-square rejects the target distribution: p = " + pValue);
    }

    @Test
    void chainOfOneShouldEmitTheTargetDistribution() {
        assertLossless(chain(1), 11);
    }

    @Test
    void chainOfTwoShouldEmitTheTargetDistribution() {
        assertLossless(chain(2), 12);
    }

    @Test
    void chainOfThreeShouldEmitTheTargetDistribution() {
        assertLossless(chain(3), 13);
    }

    @Test
    void treeOfTwoIidBranchesShouldEmitTheTargetDistribution() {
        assertLossless(twoBranches(2, false), 14);
    }

    @Test
    void treeOfDeterministicTopTwoChildrenShouldEmitTheTargetDistribution() {
        assertLossless(twoBranches(2, true), 15);
    }

    @Test
    void treeOfThreeIidBranchesShouldEmitTheTargetDistribution() {
        assertLossless(branches(3, 2, false), 17);
    }

    @Test
    void treeOfDeterministicTopThreeChildrenShouldEmitTheTargetDistribution() {
        assertLossless(branches(3, 3, true), 18);
    }

    @Test
    void treeOfSiblingsDrawnWithoutReplacementShouldEmitTheTargetDistribution() {
        assertLossless(withoutReplacement(3, 2), 19);
    }

    /**
     * A deterministic path (as prompt lookup proposes, from the context alone) grafted onto a tree
     * of i.i.d. branches: shared where a sampled row holds its token, point-mass rows after them
     * where none does.
     */
    @Test
    void treeJoinedByADeterministicPathShouldEmitTheTargetDistribution() {
        Drafter tree = twoBranches(2, false);
        Drafter joined = (base, random) -> tree.propose(base, random)
                .withPath(new int[] {(base + 1) % VOCAB, base % VOCAB, 3});
        assertLossless(joined, 21);
    }

    @Test
    void brokenResidualShouldFailTheTest() {
        double chain = worstPValue(simulate(BrokenResidualVerifier::new, chain(1), 11));
        assertTrue(chain < 1e-9, "the chi-square test missed a broken residual: p = " + chain);
        double tree = worstPValue(simulate(BrokenResidualVerifier::new, twoBranches(2, false), 14));
        assertTrue(tree < 1e-9, "the chi-square test missed a broken tree residual: p = " + tree);
    }

    @Test
    void deterministicChildrenVerifiedAsIfSampledShouldFailTheTest() {
        // the top-2 children labelled with q instead of a point mass: not lossless
        Drafter mislabelled = (base, random) -> {
            DraftProposal honest = twoBranches(1, true).propose(base, random);
            float[][] qs = {q(base), q(base)};
            return DraftProposal.tree(new int[] {honest.token(0), honest.token(1)}, new int[] {-1, -1}, qs);
        };
        double pValue = worstPValue(simulate(RejectionVerifier::new, mislabelled, 16));
        assertTrue(pValue < 1e-9, "mislabelled deterministic children passed: p = " + pValue);
    }

    @Test
    void siblingsDrawnWithoutReplacementButLabelledWithTheUnconditionalQShouldFailTheTest() {
        Drafter mislabelled = (base, random) -> {
            DraftProposal honest = withoutReplacement(3, 1).propose(base, random);
            int[] tokens = {honest.token(0), honest.token(1), honest.token(2)};
            return DraftProposal.tree(tokens, new int[] {-1, -1, -1}, new float[][] {q(base), q(base), q(base)});
        };
        double pValue = worstPValue(simulate(RejectionVerifier::new, mislabelled, 20));
        assertTrue(pValue < 1e-9, "siblings without replacement labelled i.i.d. passed: p = " + pValue);
    }
}
