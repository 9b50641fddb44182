package dev.mirrorsd.pipeline.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mirrorsd.core.speculative.Verdict;
import org.junit.jupiter.api.Test;

class RingEventsTest {

    @Test
    void earlyExitCopiesInAndOutRowMajor() {
        EarlyExitEvent e = new EarlyExitEvent(3, 2);
        e.set(5, 2, 2, new int[] {10, 11}, new int[] {-1, 0}, new int[] {1, 2, 3, 4}, new float[] {-.1f, -.2f, -.3f, -.4f});
        assertEquals(3, e.token(1, 0));
        assertEquals(-.2f, e.logProb(0, 1));
        int[] tokens = new int[4];
        float[] logProbs = new float[4];
        int[] window = new int[2];
        int[] parents = new int[2];
        e.copyTokensTo(tokens);
        e.copyLogProbsTo(logProbs);
        e.copyWindowTo(window, parents);
        assertArrayEquals(new int[] {1, 2, 3, 4}, tokens);
        assertArrayEquals(new float[] {-.1f, -.2f, -.3f, -.4f}, logProbs);
        assertArrayEquals(new int[] {10, 11}, window);
        assertArrayEquals(new int[] {-1, 0}, parents);
    }

    @Test
    void eventsRejectContentBeyondTheirCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new EarlyExitEvent(2, 2).begin(0, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> new EarlyExitEvent(2, 2).begin(0, 1, 3));
        assertThrows(IllegalArgumentException.class,
                () -> new VerdictEvent(2).set(0, new int[3], 3, new int[4], Verdict.Ending.BONUS));
        assertThrows(IllegalArgumentException.class,
                () -> new ProposalEvent(2).set(0, 3, new int[3], new int[3], ProposalEvent.NO_DISTRIBUTIONS));
        assertThrows(IllegalArgumentException.class, () -> new ProposalEvent(0));
        EarlyExitEvent big = new EarlyExitEvent(4, 4);
        big.begin(0, 4, 4);
        assertThrows(IllegalArgumentException.class, () -> new EarlyExitEvent(2, 4).copyFrom(big));
    }

    @Test
    void verdictEmitsAcceptedPlusOneTokens() {
        VerdictEvent v = new VerdictEvent(4);
        v.set(9, new int[] {0, 2}, 2, new int[] {7, 8, 9}, Verdict.Ending.CORRECTION);
        assertEquals(3, v.emittedCount());
        assertEquals(9, v.finalToken());
        int[] emitted = new int[3];
        v.copyEmittedTo(emitted);
        assertArrayEquals(new int[] {7, 8, 9}, emitted);
        VerdictEvent copy = new VerdictEvent(2);
        copy.copyFrom(v);
        assertEquals(2, copy.acceptedRow(1));
        assertEquals(Verdict.Ending.CORRECTION, copy.ending());
    }
}
