package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.SamplingConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A tree's children: the greedy shortcut over the draft's own row gives the tokens and log-probabilities
 * that spreading the row over the target vocabulary, a softmax and a top-k over it give.
 */
class TargetDistributionTest {

    @Test
    void greedyTopShouldMatchTheFullDistribution() {
        SplittableRandom random = new SplittableRandom(5);
        int targetVocab = 700;
        for (int trial = 0; trial < 200; trial++) {
            boolean mapped = trial % 2 == 0;
            int draftVocab = mapped ? 301 : targetVocab;
            int[] map = mapped ? randomMap(random, draftVocab, targetVocab) : null;
            int rows = 3;
            float[] values = new float[rows * draftVocab];
            for (int i = 0; i < values.length; i++) {
                // coarse values make ties; a few rows' entries are impossible tokens
                values[i] = trial % 3 == 0 ? random.nextInt(8) : (float) (random.nextGaussian() * 4);
                if (random.nextInt(50) == 0) {
                    values[i] = Float.NEGATIVE_INFINITY;
                }
            }
            Logits logits = new Logits(rows, draftVocab, values);
            TargetDistribution distribution = new TargetDistribution(map, targetVocab, SamplingConfig.greedy());
            int k = 1 + random.nextInt(6);
            int row = random.nextInt(rows);

            float[] q = distribution.of(logits, row, new int[0], 0).clone();
            int[] expected = DraftTree.top(q, k);
            int[] tokens = new int[k];
            double[] logProbs = new double[k];
            int n = distribution.top(logits, row, new int[0], 0, k, tokens, logProbs);

            assertArrayEquals(expected, Arrays.copyOf(tokens, n), "trial " + trial);
            for (int i = 0; i < n; i++) {
                assertEquals(Math.log(q[tokens[i]]), logProbs[i], 1e-5, "trial " + trial + ", child " + i);
            }
        }
    }

    @Test
    void sampledTopShouldComeFromTheProcessedDistribution() {
        SplittableRandom random = new SplittableRandom(6);
        int vocab = 50;
        float[] values = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            values[i] = (float) random.nextGaussian() * 3;
        }
        // top-k 3 leaves three tokens with probability: a request for five children gets three
        TargetDistribution distribution = new TargetDistribution(null, vocab, SamplingConfig.sampling(0.7f, 3, 1f, 1));
        int[] tokens = new int[5];
        double[] logProbs = new double[5];
        int n = distribution.top(new Logits(1, vocab, values), 0, new int[0], 0, 5, tokens, logProbs);
        float[] q = distribution.of(new Logits(1, vocab, values), 0, new int[0], 0);
        assertEquals(3, n);
        assertArrayEquals(DraftTree.top(q, 5), Arrays.copyOf(tokens, n));
        for (int i = 0; i < n; i++) {
            assertEquals(Math.log(q[tokens[i]]), logProbs[i], 1e-9);
        }
    }

    private static int[] randomMap(SplittableRandom random, int draftVocab, int targetVocab) {
        int[] ids = new int[targetVocab];
        for (int i = 0; i < targetVocab; i++) {
            ids[i] = i;
        }
        for (int i = targetVocab - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        return Arrays.copyOf(ids, draftVocab);
    }
}
