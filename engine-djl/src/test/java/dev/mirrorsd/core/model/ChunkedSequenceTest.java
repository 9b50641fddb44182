package dev.mirrorsd.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrorsd.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.testing.RandomWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A prompt longer than an engine's window limit, fed in chunks, on the DJL engine with random weights. */
class ChunkedSequenceTest {
    private static final int[] PROMPT = {5, 17, 33, 2, 90, 41, 7, 64, 12, 3, 8, 19, 27, 44, 51, 6, 70};
    private static DjlCausalLM model;

    @BeforeAll
    static void load() {
        model = DjlCausalLM.load(RandomWeights.of(RandomWeights.tinyConfig(true), 42));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void shouldGiveTheLastRowsTheLogitsOfOneWholeWindow() {
        for (int limit : new int[] {1, 4, 5, 16}) {
            try (Sequence whole = model.newSequence(64);
                 Sequence chunked = new ChunkedSequence(model.newSequence(64), limit)) {
                Logits want = whole.forward(Window.chain(PROMPT, 0), PROMPT.length - limit);
                Logits got = chunked.forward(Window.chain(PROMPT, 0), PROMPT.length - limit);
                assertEquals(limit, got.rows());
                for (int r = 0; r < limit; r++) {
                    assertClose(want.row(r), got.row(r));
                }
                assertEquals(PROMPT.length, chunked.length());
                // and decoding goes on from the chunked cache as from the whole one
                Logits nextWant = whole.forward(Window.chain(new int[] {9}, PROMPT.length), 0);
                Logits nextGot = chunked.forward(Window.chain(new int[] {9}, PROMPT.length), 0);
                assertClose(nextWant.row(0), nextGot.row(0));
            }
        }
    }

    @Test
    void shouldRefuseLogitsOfRowsFedInEarlierChunks() {
        try (Sequence chunked = new ChunkedSequence(model.newSequence(64), 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> chunked.forward(Window.chain(PROMPT, 0), 0));
            assertTrue(e.getMessage().contains("only the last 4 rows"), e.getMessage());
            assertEquals(0, chunked.length()); // the head fed before the refusal is dropped
        }
    }

    @Test
    void shouldLeaveTheCacheAsItWasWhenAChunkedPassStopsEarly() {
        try (Sequence chunked = new ChunkedSequence(model.newSequence(64), 4)) {
            chunked.forward(Window.chain(new int[] {1, 2, 3}, 0), 0);
            int[] more = java.util.Arrays.copyOf(PROMPT, 10);
            try (ForwardPass pass = chunked.begin(Window.chain(more, 3))) {
                pass.runTo(1);
            }
            assertEquals(3, chunked.length());
        }
    }

    @Test
    void shouldRefuseATreeWindowPastTheLimit() {
        try (Sequence chunked = new ChunkedSequence(model.newSequence(64), 2)) {
            Window tree = Window.tree(new int[] {5, 6, 7}, new int[] {-1, 0, 0}, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chunked.begin(tree));
            assertTrue(e.getMessage().contains("tree window of 3 rows"), e.getMessage());
        }
    }

    private static void assertClose(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4f, "logit " + i);
        }
    }
}
