package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mirrorsd.core.model.Logits;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RejectionVerifierTest {

    private static float[] oneHot(int token) {
        float[] p = new float[6];
        p[token] = 1f;
        return p;
    }

    private static TargetScores oneHotScores(int... argmax) {
        float[] values = new float[argmax.length * 6];
        for (int r = 0; r < argmax.length; r++) {
            values[r * 6 + argmax[r]] = 1f;
        }
        return TargetScores.ofProbabilities(argmax.length, 6, values);
    }

    @Test
    void oneHotDistributionsShouldReproduceGreedyVerification() {
        DraftProposal chain = DraftProposal.chain(new int[] {3, 1, 4}, new float[][] {oneHot(3), oneHot(1), oneHot(4)});
        for (int seed = 0; seed < 20; seed++) {
            Verdict all = new RejectionVerifier().verify(chain, oneHotScores(3, 1, 4, 5), new SplittableRandom(seed));
            assertArrayEquals(new int[] {3, 1, 4, 5}, all.tokens());
            assertEquals(Verdict.Ending.BONUS, all.ending());
            Verdict middle = new RejectionVerifier().verify(chain, oneHotScores(3, 2, 4, 5), new SplittableRandom(seed));
            assertArrayEquals(new int[] {3, 2}, middle.tokens());
            assertEquals(Verdict.Ending.CORRECTION, middle.ending());
        }
    }

    @Test
    void deterministicSiblingsShouldPeelTheTargetOneTokenAtATime() {
        // p is a point mass at 2; deterministic children 0 and 1 are rejected surely, the residual is p
        DraftProposal tree = DraftProposal.tree(new int[] {0, 1}, new int[] {-1, -1});
        Verdict v = new RejectionVerifier().verify(tree, oneHotScores(2, 0, 0), new SplittableRandom(1));
        assertArrayEquals(new int[] {2}, v.tokens());
        assertEquals(Verdict.Ending.CORRECTION, v.ending());
    }

    @Test
    void shouldBeReproducibleGivenTheSeed() {
        var drafter = RejectionVerifierLosslessnessTest.chain(3);
        for (int seed = 0; seed < 50; seed++) {
            DraftProposal proposal = drafter.propose(0, new SplittableRandom(seed));
            TargetScores scores = RejectionVerifierLosslessnessTest.scores(proposal, 0);
            Verdict a = new RejectionVerifier().verify(proposal, scores, new SplittableRandom(seed));
            Verdict b = new RejectionVerifier().verify(proposal, scores, new SplittableRandom(seed));
            assertEquals(a.toString(), b.toString());
        }
    }

    @Test
    void shouldRefuseRawLogits() {
        TargetScores logits = TargetScores.ofLogits(new Logits(2, 6, new float[12]));
        assertThrows(IllegalArgumentException.class,
                () -> new RejectionVerifier().verify(DraftProposal.chain(1), logits, new SplittableRandom(0)));
    }

    @Test
    void proposalShouldRefuseATokenItsDistributionCannotDraw() {
        assertThrows(IllegalArgumentException.class,
                () -> DraftProposal.chain(new int[] {2}, new float[][] {oneHot(3)}));
    }
}
