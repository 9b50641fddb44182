package dev.mirrorsd.core.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The guards every engine's cache inherits, on a cache that stores each position's token: the length
 * grows only when a pass ran its last layer, one pass is open at a time, edits wait for the pass,
 * and compaction moves exactly the kept rows.
 */
class GuardedSequenceTest {

    /** A cache of token ids, one per position; a pass writes its window's tokens at its last layer. */
    private static final class TokenCache extends GuardedSequence {
        final int[] slots;
        int released;

        TokenCache(int capacity) {
            super(capacity);
            slots = new int[capacity];
        }

        @Override
        protected ForwardPass openPass(Window window) {
            int start = length();
            return new GuardedForwardPass(window.size(), 2) {
                @Override
                protected void advance(int from, int to) {
                    if (to == layers()) {
                        System.arraycopy(window.tokens(), 0, slots, start, window.size());
                        committed(window.size());
                    }
                }

                @Override
                protected Logits readLogits(int fromRow) {
                    throw new UnsupportedOperationException("no logits in a token cache");
                }

                @Override
                protected void release() {
                    passClosed(this);
                }
            };
        }

        @Override
        protected void moveRows(int base, int[] keptRows) {
            for (int i = 0; i < keptRows.length; i++) {
                slots[base + i] = slots[base + keptRows[i]];
            }
        }

        @Override
        protected void release() {
            released++;
        }

        int[] cached() {
            return Arrays.copyOf(slots, length());
        }
    }

    private static void fill(TokenCache cache, int... tokens) {
        try (ForwardPass pass = cache.begin(Window.chain(tokens, cache.length()))) {
            pass.runTo(pass.layers());
        }
    }

    @Test
    void shouldGrowOnlyWhenThePassRanItsLastLayer() {
        TokenCache cache = new TokenCache(8);
        try (ForwardPass pass = cache.begin(Window.chain(new int[] {1, 2, 3}, 0))) {
            pass.runTo(1);
            assertEquals(0, cache.length());
        }
        assertEquals(0, cache.length(), "a pass closed early leaves the cache as it was");
        fill(cache, 1, 2, 3);
        assertArrayEquals(new int[] {1, 2, 3}, cache.cached());
    }

    @Test
    void shouldRefuseASecondPassAndEditsWhileOneIsOpen() {
        TokenCache cache = new TokenCache(8);
        fill(cache, 1, 2);
        try (ForwardPass pass = cache.begin(Window.chain(new int[] {3}, 2))) {
            assertThrows(IllegalStateException.class, () -> cache.begin(Window.chain(new int[] {4}, 2)));
            assertThrows(IllegalStateException.class, () -> cache.truncate(1));
            assertThrows(IllegalStateException.class, () -> cache.compact(0, new int[] {0}));
            pass.runTo(pass.layers());
        }
        assertEquals(3, cache.length());
    }

    @Test
    void shouldRefuseAWindowPastTheCapacity() {
        TokenCache cache = new TokenCache(4);
        fill(cache, 1, 2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> cache.begin(Window.chain(new int[] {4, 5}, 3)));
        assertEquals("window of 2 after 3 cached positions exceeds the capacity 4", e.getMessage());
        fill(cache, 4);
        assertEquals(4, cache.length());
    }

    @Test
    void shouldTruncateInsideTheCacheOnly() {
        TokenCache cache = new TokenCache(8);
        fill(cache, 1, 2, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> cache.truncate(5));
        assertThrows(IllegalArgumentException.class, () -> cache.truncate(-1));
        cache.truncate(2);
        fill(cache, 7);
        assertArrayEquals(new int[] {1, 2, 7}, cache.cached());
    }

    @Test
    void shouldCompactTheKeptPathOfATree() {
        TokenCache cache = new TokenCache(16);
        fill(cache, 1, 2);
        fill(cache, 10, 11, 12, 13, 14); // a tree window after two committed positions
        cache.compact(2, new int[] {1, 3, 4});
        assertArrayEquals(new int[] {1, 2, 11, 13, 14}, cache.cached());
        assertThrows(IllegalArgumentException.class, () -> cache.compact(2, new int[] {2, 1}), "descending rows");
        assertThrows(IllegalArgumentException.class, () -> cache.compact(2, new int[] {0, 3}), "row past the cache");
        assertThrows(IllegalArgumentException.class, () -> cache.compact(6, new int[] {}), "base past the cache");
        cache.compact(1, new int[] {0, 1});
        assertArrayEquals(new int[] {1, 2, 11}, cache.cached(), "rows in place only drop what follows");
    }

    @Test
    void shouldRefuseEverythingOnceClosedAndReleaseOnce() {
        TokenCache cache = new TokenCache(8);
        ForwardPass open = cache.begin(Window.chain(new int[] {1}, 0));
        cache.close();
        cache.close();
        assertEquals(1, cache.released);
        assertThrows(IllegalStateException.class, () -> open.runTo(1), "the open pass closed with its cache");
        assertThrows(IllegalStateException.class, () -> cache.begin(Window.chain(new int[] {1}, 0)));
        assertThrows(IllegalStateException.class, () -> cache.truncate(0));
    }
}
