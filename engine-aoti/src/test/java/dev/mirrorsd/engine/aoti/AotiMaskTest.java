package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.model.Window;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class AotiMaskTest {
    private static final float M = -1e9f;

    @Test
    void shouldLetAChainSeeTheCacheAndItsEarlierRows() {
        float[] mask = AotiForwardPass.mask(Window.chain(new int[] {5, 6}, 2), 2, M);
        assertArrayEquals(new float[] {
            0, 0, 0, M,
            0, 0, 0, 0}, mask);
    }

    @Test
    void shouldLetATreeRowSeeOnlyItsAncestors() {
        // rows 1 and 2 are siblings under row 0
        float[] mask = AotiForwardPass.mask(Window.tree(new int[] {5, 6, 7}, new int[] {-1, 0, 0}, 1), 1, M);
        assertArrayEquals(new float[] {
            0, 0, M, M,
            0, 0, 0, M,
            0, 0, M, 0}, mask);
    }

    @Test
    void shouldMaskTheSlotsAfterTheWindowOfAFullWidthMask() {
        // a CUDA-graph pass attends over every cache slot: stale slots after the window stay hidden
        float[] mask = AotiForwardPass.mask(Window.tree(new int[] {5, 6, 7}, new int[] {-1, 0, 0}, 1), 1, 6, M);
        assertArrayEquals(new float[] {
            0, 0, M, M, M, M,
            0, 0, 0, M, M, M,
            0, 0, M, 0, M, M}, mask);
    }
}
