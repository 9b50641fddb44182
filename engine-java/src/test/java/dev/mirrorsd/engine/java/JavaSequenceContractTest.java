package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.PrefillProgress;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;
import dev.mirrorsd.engine.djl.DjlCausalLM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model contract on random weights, against the DJL engine on the same weights and against the
 * engine itself fed differently: windows against token-by-token steps, tree rows against their
 * paths fed as chains, truncation and compaction against a fresh cache, early exit against the
 * model cut after that layer. Logits agree within 1e-3 absolute (fp32, summation order differs).
 */
class JavaSequenceContractTest {
    private static final float TOLERANCE = 1e-3f;
    private static final int[] PROMPT = {5, 17, 42, 8, 3, 77, 91, 12, 33, 60};

    private static ModelConfig config(boolean bias, int maxPositions) {
        ModelConfig t = RandomWeights.tinyConfig(bias);
        return new ModelConfig(t.architecture(), t.vocabSize(), t.hiddenSize(), t.intermediateSize(), t.numLayers(),
                t.numHeads(), t.numKvHeads(), t.headDim(), maxPositions, t.rmsNormEps(), t.ropeTheta(),
                t.tieWordEmbeddings(), t.attentionBias(), t.bosTokenId(), t.eosTokenIds());
    }

    private static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst < tolerance, what + " differ by " + worst);
    }

    private static Logits all(CausalLM model, int[] tokens) {
        try (Sequence s = model.newSequence(tokens.length)) {
            return s.forward(Window.chain(tokens, 0), 0);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldMatchTheDjlEngineOnEveryRowAndAtEveryEarlyExit(boolean bias) {
        ModelWeights weights = RandomWeights.of(config(bias, 256), 7);
        // java first: the DJL engine releases the host tensors it has copied
        try (JavaCausalLM java = JavaCausalLM.load(weights, 2); DjlCausalLM djl = DjlCausalLM.load(weights);
             Sequence a = djl.newSequence(PROMPT.length); Sequence b = java.newSequence(PROMPT.length);
             ForwardPass pa = a.begin(Window.chain(PROMPT, 0)); ForwardPass pb = b.begin(Window.chain(PROMPT, 0))) {
            int h = weights.config().hiddenSize();
            float[] ha = new float[PROMPT.length * h];
            float[] hb = new float[PROMPT.length * h];
            for (int layer = 0; layer <= pa.layers(); layer++) {
                pa.runTo(layer);
                pb.runTo(layer);
                assertClose(pa.logits(0).values(), pb.logits(0).values(), TOLERANCE, "logits after " + layer + " layers");
                pa.hiddenStates(0, ha);
                assertEquals(PROMPT.length * h, pb.hiddenStates(0, hb));
                assertClose(ha, hb, TOLERANCE, "hidden states after " + layer + " layers");
            }
        }
    }

    @Test
    void shouldScoreAWindowAsTheSameTokensFedOneAtATime() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 11);
        try (JavaCausalLM model = JavaCausalLM.load(weights, 2); Sequence s = model.newSequence(PROMPT.length)) {
            Logits whole = all(model, PROMPT);
            for (int i = 0; i < PROMPT.length; i++) {
                Logits one = s.forward(Window.chain(new int[] {PROMPT[i]}, i), 0);
                assertClose(whole.row(i), one.row(0), 1e-4f, "row " + i);
            }
        }
    }

    @Test
    void shouldScoreTreeRowsAsTheirPathsFedAsChains() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 12);
        int[] tokens = {10, 20, 30, 40, 50, 60};
        int[] parents = {-1, 0, 0, 1, 2, 4};
        try (JavaCausalLM model = JavaCausalLM.load(weights, 2); Sequence s = model.newSequence(16)) {
            s.forward(Window.chain(PROMPT, 0), 0);
            Logits tree = s.forward(Window.tree(tokens, parents, PROMPT.length), 0);
            for (int row = 0; row < tokens.length; row++) {
                int depth = 0;
                for (int p = row; p >= 0; p = parents[p]) {
                    depth++;
                }
                int[] chain = Arrays.copyOf(PROMPT, PROMPT.length + depth);
                for (int p = row, i = chain.length - 1; p >= 0; p = parents[p], i--) {
                    chain[i] = tokens[p];
                }
                Logits expected = all(model, chain);
                assertClose(expected.row(chain.length - 1), tree.row(row), 1e-4f, "tree row " + row);
            }
        }
    }

    @Test
    void shouldContinueAfterCompactionAsIfOnlyTheKeptPathHadBeenFed() {
        ModelWeights weights = RandomWeights.of(config(true, 256), 13);
        int[] tokens = {10, 20, 30, 40, 50};
        int[] parents = {-1, 0, 0, 2, 3};
        int[] kept = {0, 2, 3};
        try (JavaCausalLM model = JavaCausalLM.load(weights, 2); Sequence s = model.newSequence(32)) {
            s.forward(Window.chain(PROMPT, 0), 0);
            s.forward(Window.tree(tokens, parents, PROMPT.length), 0);
            s.compact(PROMPT.length, kept);
            assertEquals(PROMPT.length + kept.length, s.length());
            Logits next = s.forward(Window.chain(new int[] {7}, s.length()), 0);
            int[] chain = Arrays.copyOf(PROMPT, PROMPT.length + kept.length + 1);
            for (int i = 0; i < kept.length; i++) {
                chain[PROMPT.length + i] = tokens[kept[i]];
            }
            chain[chain.length - 1] = 7;
            assertClose(all(model, chain).row(chain.length - 1), next.row(0), 1e-4f, "after compaction");
        }
    }

    @Test
    void shouldContinueAfterTruncationAsIfTheDroppedTokensHadNeverBeenFed() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 14);
        try (JavaCausalLM model = JavaCausalLM.load(weights, 1); Sequence s = model.newSequence(32)) {
            s.forward(Window.chain(PROMPT, 0), 0);
            s.forward(Window.chain(new int[] {1, 2, 3, 4}, PROMPT.length), 0);
            s.truncate(PROMPT.length + 1);
            Logits next = s.forward(Window.chain(new int[] {9, 8}, s.length()), 0);
            int[] chain = Arrays.copyOf(PROMPT, PROMPT.length + 3);
            chain[PROMPT.length] = 1;
            chain[PROMPT.length + 1] = 9;
            chain[PROMPT.length + 2] = 8;
            Logits expected = all(model, chain);
            assertClose(expected.row(chain.length - 2), next.row(0), 1e-4f, "first row after truncation");
            assertClose(expected.row(chain.length - 1), next.row(1), 1e-4f, "second row after truncation");
        }
    }

    @Test
    void shouldLeaveTheCacheAsItWasWhenAPassClosesEarly() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 15);
        try (JavaCausalLM model = JavaCausalLM.load(weights, 2); Sequence s = model.newSequence(32)) {
            s.forward(Window.chain(PROMPT, 0), 0);
            try (ForwardPass pass = s.begin(Window.chain(new int[] {4, 4}, PROMPT.length))) {
                pass.runTo(1);
            }
            assertEquals(PROMPT.length, s.length());
            Logits next = s.forward(Window.chain(new int[] {6}, PROMPT.length), 0);
            int[] chain = Arrays.copyOf(PROMPT, PROMPT.length + 1);
            chain[PROMPT.length] = 6;
            assertClose(all(model, chain).row(PROMPT.length), next.row(0), 1e-4f, "after an early close");
        }
    }

    @Test
    void shouldGiveEarlyExitLogitsEqualToTheModelCutAfterThatLayer() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 16);
        try (JavaCausalLM model = JavaCausalLM.load(weights, 2); Sequence s = model.newSequence(PROMPT.length);
             ForwardPass pass = s.begin(Window.chain(PROMPT, 0))) {
            for (int layer = 1; layer <= pass.layers(); layer++) {
                pass.runTo(layer);
                CausalLM cut = model.firstLayers(layer);
                assertArrayEquals(all(cut, PROMPT).values(), pass.logits(0).values(), "early exit at " + layer);
            }
        }
    }

    @Test
    void shouldGiveVocabularySubsetLogitsEqualToThoseColumnsOfTheFullHead() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 17);
        int[] vocabulary = {95, 3, 40, 0, 41};
        try (JavaCausalLM model = JavaCausalLM.load(weights, 2); Sequence s = model.newSequence(PROMPT.length);
             ForwardPass pass = s.begin(Window.chain(PROMPT, 0))) {
            pass.runTo(2);
            Logits full = pass.logits(3);
            Logits subset = pass.logits(3, vocabulary);
            for (int r = 0; r < full.rows(); r++) {
                for (int i = 0; i < vocabulary.length; i++) {
                    assertEquals(full.get(r, vocabulary[i]), subset.get(r, i), 1e-5f, "row " + r + " token " + vocabulary[i]);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> pass.logits(0, new int[] {96}));
        }
    }

    /**
     * Every output element is computed by one thread in one order whatever the thread count; only the
     * lane order of a vector reduction, which the Vector API leaves to the compiler (interpreted and
     * compiled code differ), may move the last bits.
     */
    @Test
    void shouldComputeTheSameLogitsOnAnyNumberOfThreads() {
        // wide enough that every matmul and the attention are split (RowPool.MIN_PARALLEL_WORK)
        ModelConfig wide = new ModelConfig(Architecture.QWEN2, 300, 256, 512, 2, 8, 4, 32, 256, 1e-5f, 10000f,
                false, true, 1, new int[] {2});
        ModelWeights weights = RandomWeights.of(wide, 18);
        try (JavaCausalLM one = JavaCausalLM.load(weights, 1); JavaCausalLM three = JavaCausalLM.load(weights, 3)) {
            assertEquals(3, three.threads());
            assertClose(all(one, PROMPT).values(), all(three, PROMPT).values(), 1e-5f, "1 vs 3 threads");
        }
    }

    @Test
    void shouldReportAChunkedPrefillsProgressAfterEachChunk() {
        ModelWeights weights = RandomWeights.of(config(false, 1024), 23);
        int chunk = JavaCausalLM.PREFILL_CHUNK;
        int[] prompt = new int[chunk * 2 + 37];
        Arrays.fill(prompt, 9);
        List<String> heard = new ArrayList<>();
        try (JavaCausalLM java = JavaCausalLM.load(weights, 1); Sequence s = java.newSequence(prompt.length + 1)) {
            PrefillProgress.reporting((fed, total) -> heard.add(fed + "/" + total), () -> {
                s.forward(Window.chain(prompt, 0), prompt.length - 1);
                // one pass's worth: nothing to report
                return s.forward(Window.chain(new int[] {4}, prompt.length), 0);
            });
        }
        // the head in full chunks, its remainder, then the tail of one chunk's rows once its last layer has run
        int head = prompt.length - chunk;
        assertEquals(List.of(chunk + "/" + prompt.length, head + "/" + prompt.length, prompt.length + "/" + prompt.length),
                heard);
    }

    @Test
    void shouldFeedAPromptLongerThanAPrefillChunkAndMatchTheDjlEngine() {
        ModelWeights weights = RandomWeights.of(config(false, 1024), 19);
        int[] prompt = new int[JavaCausalLM.PREFILL_CHUNK * 2 + 37];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = random.nextInt(96);
        }
        // java first: the DJL engine releases the host tensors it has copied
        try (JavaCausalLM java = JavaCausalLM.load(weights, 2); DjlCausalLM djl = DjlCausalLM.load(weights);
             Sequence a = djl.newSequence(prompt.length + 1); Sequence b = java.newSequence(prompt.length + 1)) {
            int from = prompt.length - 4;
            assertClose(a.forward(Window.chain(prompt, 0), from).values(), b.forward(Window.chain(prompt, 0), from).values(),
                    TOLERANCE, "last rows of a long prompt");
            assertEquals(prompt.length, b.length());
            assertClose(a.forward(Window.chain(new int[] {4}, prompt.length), 0).values(),
                    b.forward(Window.chain(new int[] {4}, prompt.length), 0).values(), TOLERANCE, "the step after it");
        }
    }

    @Test
    void shouldMatchTheDjlEngineOnMultiTokenHeads() {
        ModelWeights base = RandomWeights.of(config(false, 256), 20);
        int h = base.config().hiddenSize();
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (String name : base.names()) {
            tensors.put(name, base.require(name));
        }
        SplittableRandom random = new SplittableRandom(21);
        for (int k = 0; k < 2; k++) {
            float[] w = new float[h * h];
            float[] bias = new float[h];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (random.nextDouble() - 0.5) * 0.4f;
            }
            for (int i = 0; i < h; i++) {
                bias[i] = (float) (random.nextDouble() - 0.5) * 0.2f;
            }
            tensors.put(ModelWeights.multiTokenWeight(k), new HostTensor(new long[] {h, h}, w));
            tensors.put("mtp." + k + ".bias", new HostTensor(new long[] {h}, bias));
        }
        ModelWeights weights = new ModelWeights(base.config(), tensors, "random with heads");
        // java first: the DJL engine releases the host tensors it has copied
        try (JavaCausalLM java = JavaCausalLM.load(weights, 2); DjlCausalLM djl = DjlCausalLM.load(weights);
             Sequence a = djl.newSequence(PROMPT.length); Sequence b = java.newSequence(PROMPT.length);
             ForwardPass pa = a.begin(Window.chain(PROMPT, 0)); ForwardPass pb = b.begin(Window.chain(PROMPT, 0))) {
            pa.runTo(pa.layers());
            pb.runTo(pb.layers());
            assertEquals(2, pb.multiTokenHeads());
            for (int k = 0; k < 2; k++) {
                assertClose(pa.multiTokenLogits(k, 4).values(), pb.multiTokenLogits(k, 4).values(), TOLERANCE, "head " + k);
            }
        }
    }

    @Test
    void shouldRefuseAWindowPastTheCapacityAndTokensOutsideTheVocabulary() {
        ModelWeights weights = RandomWeights.of(config(false, 256), 22);
        try (JavaCausalLM model = JavaCausalLM.load(weights, 1); Sequence s = model.newSequence(4)) {
            assertThrows(IllegalStateException.class, () -> s.begin(Window.chain(PROMPT, 0)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.begin(Window.chain(new int[] {96}, 0)));
            assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
            assertEquals(0, s.length());
            assertThrows(IllegalArgumentException.class, () -> model.newSequence(257));
        }
        assertEquals(Architecture.LLAMA, weights.config().architecture());
    }
}
