package dev.mirrorsd.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LogitsProcessorTest {

    private static final int[] NO_CONTEXT = new int[0];

    private static float[] process(SamplingConfig config, float[] logits, int... context) {
        LogitsProcessor processor = new LogitsProcessor(config, logits.length);
        return processor.process(logits, context, context.length, processor.newScratch());
    }

    private static float[] softmax(double... x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (double v : x) {
            z += Math.exp(v - max);
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (Math.exp(x[i] - max) / z);
        }
        return out;
    }

    @Test
    void plainSamplingShouldBeTheSoftmax() {
        float[] logits = {1f, 2f, 3f, 0.5f};
        assertArrayEquals(softmax(1, 2, 3, 0.5), process(SamplingConfig.sampling(1f, 0, 1f, 0), logits), 1e-6f);
    }

    @Test
    void temperatureShouldDivideLogits() {
        float[] logits = {1f, 2f, 3f, 0.5f};
        assertArrayEquals(softmax(2, 4, 6, 1), process(SamplingConfig.sampling(0.5f, 0, 1f, 0), logits), 1e-6f);
    }

    @Test
    void topKShouldKeepTheKHighest() {
        float[] logits = {1f, 4f, 3f, 0.5f, 2f};
        float[] expected = new float[5];
        float[] kept = softmax(4, 3);
        expected[1] = kept[0];
        expected[2] = kept[1];
        assertArrayEquals(expected, process(SamplingConfig.sampling(1f, 2, 1f, 0), logits), 1e-6f);
    }

    @Test
    void topKShouldKeepEveryTokenTiedWithTheKth() {
        // HF removes scores < kth value, so ties at the boundary all survive
        float[] logits = {3f, 1f, 2f, 2f, 0f};
        float[] p = process(SamplingConfig.sampling(1f, 2, 1f, 0), logits);
        float[] kept = softmax(3, 2, 2);
        assertArrayEquals(new float[] {kept[0], 0f, kept[1], kept[2], 0f}, p, 1e-6f);
    }

    @Test
    void topPShouldKeepTheSmallestSetReachingTopP() {
        // probabilities 0.5, 0.3, 0.15, 0.05: top_p 0.75 needs {0.5, 0.3}
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        float[] p = process(SamplingConfig.sampling(1f, 0, 0.75f, 0), logits);
        assertArrayEquals(new float[] {0f, 0.625f, 0f, 0.375f}, p, 1e-6f);
        // exactly reaching: 0.8 is held by {0.5, 0.3}
        p = process(SamplingConfig.sampling(1f, 0, 0.79f, 0), logits);
        assertArrayEquals(new float[] {0f, 0.625f, 0f, 0.375f}, p, 1e-6f);
        // just above: 0.81 needs the third token
        p = process(SamplingConfig.sampling(1f, 0, 0.81f, 0), logits);
        assertArrayEquals(new float[] {0f, 0.5f / 0.95f, 0.15f / 0.95f, 0.3f / 0.95f}, p, 1e-6f);
    }

    @Test
    void topPShouldAlwaysKeepAtLeastOneToken() {
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        assertArrayEquals(new float[] {0f, 1f, 0f, 0f},
                process(SamplingConfig.sampling(1f, 0, 1e-6f, 0), logits), 0f);
    }

    @Test
    void topPShouldBreakTiesTowardsTheLowerTokenId() {
        float[] logits = {1f, 2f, 2f, 0f};
        float[] p = process(SamplingConfig.sampling(1f, 0, 0.1f, 0), logits);
        assertArrayEquals(new float[] {0f, 1f, 0f, 0f}, p, 0f);
    }

    @Test
    void topKThenTopPShouldRenormaliseWithinTheTopK() {
        // after top-k 3: probabilities 0.5/0.95, 0.3/0.95, 0.15/0.95 = .526, .316, .158
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        float[] p = process(SamplingConfig.sampling(1f, 3, 0.83f, 0), logits);
        assertArrayEquals(new float[] {0f, 0.625f, 0f, 0.375f}, p, 1e-6f);
    }

    @Test
    void repetitionPenaltyShouldDividePositiveAndMultiplyNegativeLogitsOnce() {
        float[] logits = {2f, -1f, 0.5f, 1f};
        SamplingConfig config = SamplingConfig.sampling(1f, 0, 1f, 0).withRepetitionPenalty(2f);
        // tokens 0 and 1 in context (0 twice: penalised once)
        float[] p = process(config, logits, 0, 1, 0);
        assertArrayEquals(softmax(1, -2, 0.5, 1), p, 1e-6f);
    }

    @Test
    void greedyShouldGiveOneHotAtPenalisedArgmax() {
        float[] logits = {3f, 2f, 2.5f};
        assertArrayEquals(new float[] {1f, 0f, 0f}, process(SamplingConfig.greedy(), logits), 0f);
        SamplingConfig penalised = SamplingConfig.greedy().withRepetitionPenalty(2f);
        assertArrayEquals(new float[] {0f, 0f, 1f}, process(penalised, logits, 0), 0f);
        // temperature 0 with doSample: greedy; warpers ignored
        assertArrayEquals(new float[] {1f, 0f, 0f}, process(SamplingConfig.sampling(0f, 1, 0.1f, 0), logits), 0f);
    }

    @Test
    void shouldNotModifyTheInputRow() {
        float[] logits = {1f, -2f, 3f};
        float[] copy = logits.clone();
        process(SamplingConfig.sampling(0.7f, 2, 0.9f, 0).withRepetitionPenalty(1.3f), logits, 0, 1);
        assertArrayEquals(copy, logits, 0f);
    }

    @Test
    void largeVocabularyTopPShouldMatchAFullSort() {
        int vocab = 128_256;
        Random random = new Random(3);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        for (float topP : new float[] {0.5f, 0.9f, 0.999f}) {
            float[] fast = process(SamplingConfig.sampling(0.8f, 0, topP, 0), logits);
            float[] reference = referenceTopP(logits, 0.8f, topP);
            assertArrayEquals(reference, fast, 1e-6f, "top_p " + topP);
            for (int i = 0; i < vocab; i++) {
                assertEquals(reference[i] > 0, fast[i] > 0, "support of top_p " + topP + " at " + i);
            }
        }
        // reused scratch gives the same answer twice (stamps, buffers)
        LogitsProcessor processor = new LogitsProcessor(
                SamplingConfig.sampling(1f, 40, 0.95f, 0).withRepetitionPenalty(1.2f), vocab);
        LogitsProcessor.Scratch scratch = processor.newScratch();
        int[] context = {5, 17, 99, 5};
        float[] once = processor.process(logits, context, context.length, scratch);
        float[] twice = processor.process(logits, context, context.length, scratch);
        assertArrayEquals(once, twice, 0f);
        int nonZero = 0;
        for (float v : once) {
            nonZero += v > 0 ? 1 : 0;
        }
        assertEquals(true, nonZero >= 1 && nonZero <= 40);
    }

    @Test
    void largeVocabularyTopKTopPShouldMatchAFullSort() {
        int vocab = 49_152;
        Random random = new Random(5);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            // heavy head, ties, masked tokens
            logits[i] = i % 97 == 0 ? Float.NEGATIVE_INFINITY : (float) Math.round(random.nextGaussian() * 40) / 4f;
        }
        for (int topK : new int[] {1, 50, 1000}) {
            for (float topP : new float[] {0.3f, 0.9f, 1f}) {
                float[] fast = process(SamplingConfig.sampling(1.3f, topK, topP, 0), logits);
                float[] reference = reference(logits, 1.3f, topK, topP);
                for (int i = 0; i < vocab; i++) {
                    assertEquals(reference[i] > 0, fast[i] > 0, "support, top_k " + topK + " top_p " + topP + " at " + i);
                }
                assertArrayEquals(reference, fast, 1e-6f, "top_k " + topK + " top_p " + topP);
            }
        }
    }

    @Test
    void maskedLogitsShouldGetZeroProbability() {
        float n = Float.NEGATIVE_INFINITY;
        float[] p = process(SamplingConfig.sampling(1f, 0, 0.99f, 0), new float[] {n, 0f, n, 0f});
        assertArrayEquals(new float[] {0f, 0.5f, 0f, 0.5f}, p, 1e-7f);
    }

    private static float[] referenceTopP(float[] logits, float temperature, float topP) {
        return reference(logits, temperature, 0, topP);
    }

    /** Straightforward HF top-k then top-p: full sort, k-th value cut, keep while the mass above is < topP. */
    private static float[] reference(float[] logits, float temperature, int topK, float topP) {
        int vocab = logits.length;
        double[] x = new double[vocab];
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            x[i] = logits[i] / temperature;
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(x[b], x[a]));
        if (topK > 0 && topK < vocab) {
            double kth = x[order[topK - 1]];
            for (int i = 0; i < vocab; i++) {
                if (x[i] < kth) {
                    x[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double max = x[order[0]];
        double z = 0;
        for (double v : x) {
            z += Math.exp(v - max);
        }
        double above = 0;
        double keptZ = 0;
        int kept = 0;
        while (kept < vocab && (kept == 0 || above < topP)) {
            double e = Math.exp(x[order[kept]] - max);
            above += e / z;
            keptZ += e;
            kept++;
        }
        float[] out = new float[vocab];
        for (int j = 0; j < kept; j++) {
            out[order[j]] = (float) (Math.exp(x[order[j]] - max) / keptZ);
        }
        return out;
    }

    private static float[] logitsOf(double... probabilities) {
        float[] out = new float[probabilities.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.log(probabilities[i]);
        }
        return out;
    }
}
