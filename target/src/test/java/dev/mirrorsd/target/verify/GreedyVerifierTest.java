package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mirrorsd.core.model.Logits;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GreedyVerifierTest {

    private static final int VOCAB = 8;
    private final Verifier verifier = new GreedyVerifier();

    /** Logits whose row i has its maximum at {@code argmax[i]} (a decoy just below it at the next token). */
    static TargetScores scoresWithArgmax(int... argmax) {
        float[] values = new float[argmax.length * VOCAB];
        for (int row = 0; row < argmax.length; row++) {
            for (int t = 0; t < VOCAB; t++) {
                values[row * VOCAB + t] = -t * 0.1f;
            }
            values[row * VOCAB + (argmax[row] + 1) % VOCAB] = 4f;
            values[row * VOCAB + argmax[row]] = 5f;
        }
        return TargetScores.ofLogits(new Logits(argmax.length, VOCAB, values));
    }

    private Verdict verify(DraftProposal proposal, TargetScores scores) {
        return verifier.verify(proposal, scores, new SplittableRandom(0));
    }

    @Test
    void shouldAcceptAWholeMatchingChainAndEmitTheBonus() {
        Verdict v = verify(DraftProposal.chain(3, 1, 4), scoresWithArgmax(3, 1, 4, 7));
        assertArrayEquals(new int[] {0, 1, 2}, v.acceptedRows());
        assertArrayEquals(new int[] {3, 1, 4, 7}, v.tokens());
        assertEquals(Verdict.Ending.BONUS, v.ending());
        assertEquals(4, v.acceptLength());
    }

    @Test
    void shouldEmitTheCorrectionWhenTheFirstTokenMismatches() {
        Verdict v = verify(DraftProposal.chain(3, 1, 4), scoresWithArgmax(2, 1, 4, 7));
        assertEquals(0, v.acceptedCount());
        assertArrayEquals(new int[] {2}, v.tokens());
        assertEquals(Verdict.Ending.CORRECTION, v.ending());
    }

    @Test
    void shouldStopAtAMiddleMismatch() {
        Verdict v = verify(DraftProposal.chain(3, 1, 4), scoresWithArgmax(3, 6, 4, 7));
        assertArrayEquals(new int[] {0}, v.acceptedRows());
        assertArrayEquals(new int[] {3, 6}, v.tokens());
        assertEquals(Verdict.Ending.CORRECTION, v.ending());
    }

    @Test
    void shouldBreakTiesTowardsTheLowestTokenLikeTorchArgmax() {
        float[] values = new float[2 * VOCAB];
        values[2] = 1f;
        values[5] = 1f; // row 0 ties tokens 2 and 5: 2 wins
        Verdict v = verify(DraftProposal.chain(5), TargetScores.ofLogits(new Logits(2, VOCAB, values)));
        assertArrayEquals(new int[] {2}, v.tokens());
    }

    @Test
    void treeShouldFollowTheMatchingBranch() {
        // root children: row 0 (token 1), row 1 (token 2); row 2 (token 6) under row 1, row 3 (token 5) under row 0
        DraftProposal tree = DraftProposal.tree(new int[] {1, 2, 6, 5}, new int[] {-1, -1, 1, 0});
        // after root: 2; after row 0: 5; after row 1: 6; after row 2: 3; after row 3: 0
        Verdict v = verify(tree, scoresWithArgmax(2, 5, 6, 3, 0));
        assertArrayEquals(new int[] {1, 2}, v.acceptedRows());
        assertArrayEquals(new int[] {2, 6, 3}, v.tokens());
        assertEquals(Verdict.Ending.BONUS, v.ending());
    }

    @Test
    void treeShouldEmitTheCorrectionWhereNoChildMatches() {
        DraftProposal tree = DraftProposal.tree(new int[] {1, 2, 6, 5}, new int[] {-1, -1, 1, 0});
        Verdict v = verify(tree, scoresWithArgmax(2, 5, 7, 3, 0));
        assertArrayEquals(new int[] {1}, v.acceptedRows());
        assertArrayEquals(new int[] {2, 7}, v.tokens());
        assertEquals(Verdict.Ending.CORRECTION, v.ending());
    }

    @Test
    void treeShouldFollowTheFirstOfEqualSiblings() {
        DraftProposal tree = DraftProposal.tree(new int[] {4, 4, 1}, new int[] {-1, -1, 1});
        Verdict v = verify(tree, scoresWithArgmax(4, 0, 1, 2));
        assertArrayEquals(new int[] {0}, v.acceptedRows());
        assertArrayEquals(new int[] {4, 0}, v.tokens());
        assertEquals(Verdict.Ending.BONUS, v.ending());
    }

    @Test
    void emptyProposalShouldEmitTheTargetsNextToken() {
        Verdict v = verify(DraftProposal.chain(), scoresWithArgmax(6));
        assertArrayEquals(new int[] {6}, v.tokens());
        assertEquals(Verdict.Ending.BONUS, v.ending());
    }

    @Test
    void shouldRejectScoresThatDoNotCoverTheWindow() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> verify(DraftProposal.chain(3, 1), scoresWithArgmax(3, 1)));
        assertEquals(true, e.getMessage().contains("needs 3"), e.getMessage());
    }
}
