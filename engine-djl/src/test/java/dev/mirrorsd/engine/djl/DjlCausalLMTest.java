package dev.mirrorsd.engine.djl;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.core.testing.ReferenceHead;
import dev.mirrorsd.core.weights.ModelWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The cache mechanics every engine must honour, on random weights (HF agreement is in DjlReferenceTest). */
class DjlCausalLMTest {
    private static final int[] PROMPT = {5, 17, 33, 2, 90, 41, 7, 64, 12, 3};
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
    void shouldGiveTheSameLogitsForAWindowAsTokenByToken() {
        try (Sequence whole = model.newSequence(64); Sequence stepwise = model.newSequence(64)) {
            Logits all = whole.forward(Window.chain(PROMPT, 0), 0);
            for (int i = 0; i < PROMPT.length; i++) {
                Logits one = stepwise.forward(Window.chain(new int[] {PROMPT[i]}, i), 0);
                assertClose(all.row(i), one.row(0), 1e-4f);
            }
            assertEquals(PROMPT.length, whole.length());
            assertEquals(PROMPT.length, stepwise.length());
        }
    }

    /**
     * The hidden states are the residual stream the head reads: the final norm and LM head applied
     * to them in plain Java give the pass's logits, at an early-exit layer and after the last one,
     * and a row's states are the same whether its window held the whole prompt or one token.
     */
    @Test
    void shouldExposeTheResidualStreamThatTheHeadReads() {
        ModelWeights weights = RandomWeights.of(RandomWeights.tinyConfig(true), 42);
        ModelConfig c = weights.config();
        int h = c.hiddenSize();
        float[] whole = new float[PROMPT.length * h];
        try (Sequence seq = model.newSequence(64); ForwardPass pass = seq.begin(Window.chain(PROMPT, 0))) {
            for (int layer : new int[] {1, c.numLayers()}) {
                pass.runTo(layer);
                assertEquals(2 * h, pass.hiddenStates(PROMPT.length - 2, whole));
                Logits logits = pass.logits(PROMPT.length - 2);
                for (int r = 0; r < 2; r++) {
                    float[] row = Arrays.copyOfRange(whole, r * h, (r + 1) * h);
                    assertClose(logits.row(r), ReferenceHead.logits(weights, row), 1e-4f);
                }
            }
            pass.hiddenStates(0, whole);
        }
        float[] one = new float[h];
        try (Sequence stepwise = model.newSequence(64)) {
            for (int i = 0; i < PROMPT.length; i++) {
                try (ForwardPass pass = stepwise.begin(Window.chain(new int[] {PROMPT[i]}, i))) {
                    pass.runTo(pass.layers());
                    pass.hiddenStates(0, one);
                }
                assertClose(Arrays.copyOfRange(whole, i * h, (i + 1) * h), one, 1e-4f);
            }
        }
    }

    @Test
    void shouldScoreEveryTreeRowLikeItsOwnChain() {
        int[] tokens = {11, 22, 23, 31, 32, 41};
        int[] parents = {-1, 0, 0, 1, 1, 3};
        try (Sequence tree = model.newSequence(64)) {
            tree.forward(Window.chain(PROMPT, 0), PROMPT.length - 1);
            Logits treeLogits = tree.forward(Window.tree(tokens, parents, PROMPT.length), 0);
            for (int row = 0; row < tokens.length; row++) {
                int[] path = pathTo(row, tokens, parents);
                try (Sequence chain = model.newSequence(64)) {
                    chain.forward(Window.chain(PROMPT, 0), PROMPT.length - 1);
                    Logits chainLogits = chain.forward(Window.chain(path, PROMPT.length), path.length - 1);
                    assertClose(chainLogits.row(0), treeLogits.row(row), 1e-4f);
                }
            }
        }
    }

    @Test
    void shouldContinueFromACompactedTreePathAsFromTheChain() {
        int[] tokens = {11, 22, 23, 31, 32, 41};
        int[] parents = {-1, 0, 0, 1, 1, 3};
        int[] accepted = {0, 1, 3}; // tokens 11, 22, 31
        try (Sequence tree = model.newSequence(64); Sequence chain = model.newSequence(64)) {
            tree.forward(Window.chain(PROMPT, 0), PROMPT.length - 1);
            tree.forward(Window.tree(tokens, parents, PROMPT.length), 0);
            tree.compact(PROMPT.length, accepted);
            assertEquals(PROMPT.length + 3, tree.length());
            Logits next = tree.forward(Window.chain(new int[] {50}, tree.length()), 0);

            chain.forward(Window.chain(PROMPT, 0), PROMPT.length - 1);
            chain.forward(Window.chain(new int[] {11, 22, 31}, PROMPT.length), 2);
            Logits expected = chain.forward(Window.chain(new int[] {50}, chain.length()), 0);
            assertClose(expected.row(0), next.row(0), 1e-4f);
        }
    }

    @Test
    void shouldRecomputeNothingAfterTruncation() {
        try (Sequence seq = model.newSequence(64)) {
            Logits first = seq.forward(Window.chain(PROMPT, 0), PROMPT.length - 1);
            seq.forward(Window.chain(new int[] {1, 2, 3}, PROMPT.length), 0);
            seq.truncate(PROMPT.length - 1);
            Logits again = seq.forward(Window.chain(new int[] {PROMPT[PROMPT.length - 1]}, PROMPT.length - 1), 0);
            assertClose(first.row(0), again.row(0), 1e-4f);
        }
    }

    @Test
    void shouldLeaveTheCacheAsItWasWhenAPassStopsEarly() {
        try (Sequence seq = model.newSequence(64)) {
            seq.forward(Window.chain(PROMPT, 0), 0);
            try (ForwardPass pass = seq.begin(Window.chain(new int[] {4, 5}, PROMPT.length))) {
                pass.runTo(1);
                assertEquals(2, pass.logits(0).rows()); // an early-exit proxy after one layer
            }
            assertEquals(PROMPT.length, seq.length());
        }
    }

    @Test
    void shouldRefuseWindowsPastCapacityAndUnknownTokens() {
        try (Sequence seq = model.newSequence(8)) {
            assertThrows(IllegalStateException.class, () -> seq.begin(Window.chain(PROMPT, 0)));
            assertThrows(IllegalArgumentException.class, () -> seq.forward(Window.chain(new int[] {96}, 0), 0));
        }
    }

    static int[] pathTo(int row, int[] tokens, int[] parents) {
        java.util.ArrayDeque<Integer> path = new java.util.ArrayDeque<>();
        for (int r = row; r >= 0; r = parents[r]) {
            path.push(tokens[r]);
        }
        return path.stream().mapToInt(Integer::intValue).toArray();
    }

    static void assertClose(float[] expected, float[] actual, float tolerance) {
        assertEquals(expected.length, actual.length);
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        if (!(worst <= tolerance)) {
            throw new AssertionError("max abs difference " + worst + " > " + tolerance);
        }
    }
}
