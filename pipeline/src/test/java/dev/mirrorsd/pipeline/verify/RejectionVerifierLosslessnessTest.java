package dev.mirrorsd.pipeline.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrorsd.core.sampling.TokenSampler;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Statistical losslessness. The target's distribution at output position k is a fixed P[k],
 * independent of the context, so sampling from the target gives independent tokens x_k ~ P[k]; the
 * draft proposes from fixed Q[k] (different from P[k], with support P lacks). Each trial decodes
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
        {0.30f, 0.10f, 0.10f, 0.30f, 0.10f, 0.10f},
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
     * Two root children, each followed by a chain of {@code depth - 1} sampled tokens. Root children
     * drawn i.i.d. from Q[base] ({@code deterministic = false}) or the two most likely tokens of
     * Q[base] as point masses ({@code deterministic = true}).
     */
    static Drafter twoBranches(int depth, boolean deterministic) {
        return (base, random) -> {
            List<Integer> tokens = new ArrayList<>();
            List<Integer> parents = new ArrayList<>();
            List<float[]> qs = new ArrayList<>();
            int[] top2 = top2(q(base));
            for (int branch = 0; branch < 2; branch++) {
                int parent = -1;
                for (int d = 0; d < depth; d++) {
                    float[] dist = q(base + d);
                    boolean pointMass = d == 0 && deterministic;
                    tokens.add(pointMass ? top2[branch] : TokenSampler.sample(dist, 0, VOCAB, random));
                    qs.add(pointMass ? null : dist);
                    parents.add(parent);
                    parent = tokens.size() - 1;
                }
            }
            return DraftProposal.tree(tokens.stream().mapToInt(Integer::intValue).toArray(),
                    parents.stream().mapToInt(Integer::intValue).toArray(), qs.toArray(new float[0][]));
        };
    }

    static int[] top2(float[] dist) {
        int first = TokenSampler.argmax(dist);
        int second = first == 0 ? 1 : 0;
        for (int t = 0; t < dist.length; t++) {
            if (t != first && dist[t] > dist[second]) {
                second = t;
            }
        }
        return new int[] {first, second};
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
}
