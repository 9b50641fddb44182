package dev.mirrorsd.core.speculative;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DraftProposalTest {
    //        root
    //       /    \
    //     5(0)   6(1)
    //     /  \
    //   7(2) 8(3)
    //    |
    //   9(4)
    private static final float[] Q = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
    private static final DraftProposal TREE = DraftProposal.tree(new int[] {5, 6, 7, 8, 9},
            new int[] {-1, -1, 0, 0, 2}, new float[][] {Q, Q, null, Q, null});

    @Test
    void shouldFollowTheRowsThatHoldThePathAndBranchOffWhereTheyStop() {
        DraftProposal joined = TREE.withPath(new int[] {5, 8, 2, 3});
        assertEquals(7, joined.size());
        assertArrayEquals(new int[] {5, 6, 7, 8, 9, 2, 3}, tokens(joined));
        assertArrayEquals(new int[] {-1, -1, 0, 0, 2, 3, 5}, parents(joined));
        assertSame(Q, joined.draftDistribution(3), "the tree's own rows keep their distributions");
        assertNull(joined.draftDistribution(5), "a path's new rows are point masses");
        assertNull(joined.draftDistribution(6));
    }

    @Test
    void shouldBranchAtTheRootWhenNoChildHoldsTheFirstToken() {
        DraftProposal joined = TREE.withPath(new int[] {7, 9});
        assertArrayEquals(new int[] {-1, -1, 0, 0, 2, -1, 5}, parents(joined));
        assertEquals(5, joined.nextSibling(1), "the new branch is the root's last child");
    }

    @Test
    void shouldBeItselfWhenThePathIsAlreadyThere() {
        assertSame(TREE, TREE.withPath(new int[] {5, 7, 9}));
        assertSame(TREE, TREE.withPath(new int[] {6}));
        assertSame(TREE, TREE.withPath(new int[0]));
    }

    @Test
    void shouldMakeAChainOfAnEmptyProposal() {
        DraftProposal chain = DraftProposal.chain().withPath(new int[] {4, 4, 1});
        assertEquals(3, chain.size());
        assertTrue(chain.isChain());
        assertArrayEquals(new int[] {4, 4, 1}, tokens(chain));
    }

    private static int[] tokens(DraftProposal p) {
        int[] out = new int[p.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = p.token(r);
        }
        return out;
    }

    private static int[] parents(DraftProposal p) {
        int[] out = new int[p.size()];
        for (int r = 0; r < out.length; r++) {
            out[r] = p.parent(r);
        }
        return out;
    }
}
