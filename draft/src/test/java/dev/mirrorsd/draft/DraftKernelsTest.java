package dev.mirrorsd.draft;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SIMD products against plain loops, on shapes with and without a tail past the last full vector. */
class DraftKernelsTest {

    @Test
    void floatProductShouldMatchAPlainLoop() {
        SplittableRandom random = new SplittableRandom(1);
        for (int[] shape : new int[][] {{7, 37}, {64, 576}, {3, 5}}) {
            int rows = shape[0];
            int cols = shape[1];
            float[] w = gaussian(random, rows * cols);
            float[] x = gaussian(random, cols + 3);
            float[] out = new float[rows + 1];
            DraftKernels.matvec(w, rows, cols, x, 3, out, 1);
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                for (int c = 0; c < cols; c++) {
                    expected += (double) w[r * cols + c] * x[3 + c];
                }
                assertEquals(expected, out[1 + r], 1e-4 * (1 + Math.abs(expected)), "row " + r + " of " + rows + "x" + cols);
            }
        }
    }

    @Test
    void int8ProductShouldMatchThePlainLoopOverItsOwnValues() {
        SplittableRandom random = new SplittableRandom(2);
        for (int[] shape : new int[][] {{7, 37}, {64, 576}, {3, 5}}) {
            int rows = shape[0];
            int cols = shape[1];
            float[] w = gaussian(random, rows * cols);
            DraftKernels.Int8Rows q = DraftKernels.Int8Rows.quantize(w, rows, cols);
            float[] x = gaussian(random, cols);
            float[] out = new float[rows];
            DraftKernels.matvec(q, x, 0, out, 0);
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                double rounded = 0;
                for (int c = 0; c < cols; c++) {
                    expected += (double) q.values()[r * cols + c] * q.scales()[r] * x[c];
                    rounded = Math.max(rounded, Math.abs(q.values()[r * cols + c] * q.scales()[r] - w[r * cols + c]));
                }
                assertEquals(expected, out[r], 1e-4 * (1 + Math.abs(expected)), "row " + r + " of " + rows + "x" + cols);
                assertTrue(rounded <= q.scales()[r] / 2 + 1e-6, "int8 rounding error " + rounded + " beyond half a step");
            }
        }
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
