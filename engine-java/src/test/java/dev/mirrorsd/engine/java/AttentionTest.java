package dev.mirrorsd.engine.java;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blocked attention against the plain algorithm (each (row, head) scored against every position it
 * sees, one dot product and one exponential at a time) on random data: ranges across block and
 * tile boundaries, ranges split into pieces, tree windows whose paths are gathered, and grouped
 * query heads, some head widths not a multiple of the vector length.
 */
class AttentionTest {
    private static final float TOLERANCE = 2e-5f;

    static Stream<Arguments> shapes() {
        int[] prefill = chain(600);
        return Stream.of(
                // heads, kvHeads, headDim, cached positions, parents, threads
                Arguments.of(9, 3, 64, 0, prefill, 2),
                Arguments.of(9, 3, 64, 0, prefill, 1),
                Arguments.of(9, 3, 64, 1100, chain(1), 2),
                Arguments.of(9, 3, 64, 1100, chain(1), 1),
                Arguments.of(9, 3, 64, 700, chain(5), 3),
                Arguments.of(9, 3, 64, 777, new int[] {-1, 0, 0, 1, 2, -1, 5, 3}, 2),
                Arguments.of(9, 3, 64, 300, randomTree(40, 11), 2),
                Arguments.of(4, 1, 20, 257, randomTree(30, 12), 2),
                Arguments.of(4, 1, 20, 513, chain(70), 1),
                Arguments.of(2, 2, 16, 1030, chain(3), 2),
                Arguments.of(6, 2, 8, 0, randomTree(90, 13), 2));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void shouldMatchThePlainAlgorithm(int heads, int kvHeads, int headDim, int start, int[] parents, int threads) {
        int w = parents.length;
        int capacity = start + w + 5;
        int qWidth = heads * headDim;
        int kvWidth = kvHeads * headDim;
        SplittableRandom random = new SplittableRandom(start * 31L + w);
        // scores spread over several units so that the softmax is neither flat nor one-hot
        float[] q = gaussian(random, w * qWidth, 1.5f);
        float[] keys = gaussian(random, capacity * kvWidth, 1.5f);
        float[] values = gaussian(random, capacity * kvWidth, 1f);
        int[][] visible = visible(parents);
        float[] expected = new float[w * qWidth];
        for (int r = 0; r < w; r++) {
            for (int head = 0; head < heads; head++) {
                plain(r, head, heads / kvHeads, headDim, qWidth, kvWidth, start, visible[r], q, keys, values, expected);
            }
        }
        Attention attention = new Attention(heads, kvHeads, headDim);
        float[] keysT = new float[Attention.keysLength(capacity, kvHeads, headDim)];
        attention.storeKeys(keysT, capacity, keys, capacity, 0);
        float[] cachedValues = new float[capacity * kvWidth];
        attention.storeValues(cachedValues, capacity, values, capacity, 0);
        float[] actual = new float[w * qWidth];
        try (RowPool pool = new RowPool(threads, "attention-test")) {
            attention.attend(pool, q, keysT, cachedValues, capacity, start, visible, actual);
        }
        float worst = 0f;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst < TOLERANCE, "outputs differ by " + worst);
    }

    /** The attention of row {@code r}, head {@code head}, as the engine first computed it. */
    private static void plain(int r, int head, int group, int headDim, int qWidth, int kvWidth, int start, int[] path,
                              float[] q, float[] keys, float[] values, float[] out) {
        int qo = r * qWidth + head * headDim;
        int kvo = (head / group) * headDim;
        int n = start + path.length;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] score = new float[n];
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            int slot = j < start ? j : start + path[j - start];
            float s = Kernels.dot(q, qo, keys, slot * kvWidth + kvo, headDim) * scale;
            score[j] = s;
            max = Math.max(max, s);
        }
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(score[j] - max);
            score[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < n; j++) {
            int slot = j < start ? j : start + path[j - start];
            Kernels.axpy(score[j] * inv, values, slot * kvWidth + kvo, out, qo, headDim);
        }
    }

    private static int[][] visible(int[] parents) {
        int[][] visible = new int[parents.length][];
        for (int r = 0; r < parents.length; r++) {
            int depth = 0;
            for (int p = r; p >= 0; p = parents[p]) {
                depth++;
            }
            int[] path = new int[depth];
            for (int p = r, i = depth - 1; p >= 0; p = parents[p], i--) {
                path[i] = p;
            }
            visible[r] = path;
        }
        return visible;
    }

    private static int[] chain(int rows) {
        int[] parents = new int[rows];
        for (int i = 0; i < rows; i++) {
            parents[i] = i - 1;
        }
        return parents;
    }

    /** A tree whose first rows form a chain (their paths are ranges) and whose others branch anywhere before them. */
    private static int[] randomTree(int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] parents = new int[rows];
        for (int i = 0; i < rows; i++) {
            parents[i] = i < 4 ? i - 1 : random.nextInt(-1, i);
        }
        return parents;
    }

    private static float[] gaussian(SplittableRandom random, int n, float sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * sigma);
        }
        return x;
    }
}
