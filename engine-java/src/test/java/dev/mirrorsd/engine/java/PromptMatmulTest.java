package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A prompt-sized window through the matmul (weight rows widened into transposed panels: two whole
 * panels and a short one, columns in two blocks, a tail of window rows short of four) against the
 * fused one-row dot of every weight row with every window row, on random blocks. One thread, so
 * that one range holds every weight row.
 */
class PromptMatmulTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q8_0"})
    void shouldMatchTheOneRowDotOnEveryWindowRow(GgmlType type) {
        int cols = 320;
        int rows = 2 * Kernels.PANEL + 5;
        int w = Matmul.WIDEN_ROWS + 7;
        assertTrue(w >= Matmul.WIDEN_ROWS, "the window must take the widening path");
        SplittableRandom random = new SplittableRandom(type.ordinal());
        int blockBytes = type == GgmlType.Q4_1 ? 20 : 34;
        try (Arena arena = Arena.ofShared(); RowPool pool = new RowPool(1, "test")) {
            MemorySegment data = arena.allocate((long) rows * cols / 32 * blockBytes);
            for (long at = 0; at < data.byteSize(); at += blockBytes) {
                for (int b = 0; b < blockBytes; b++) {
                    data.set(ValueLayout.JAVA_BYTE, at + b, (byte) random.nextInt(256));
                }
                // finite scales (and minimum) of a sensible size
                data.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, Float.floatToFloat16((float) random.nextDouble(0.01, 0.1)));
                if (type == GgmlType.Q4_1) {
                    data.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2, Float.floatToFloat16((float) random.nextDouble(-0.5, 0.5)));
                }
            }
            Matrix m = Matrix.of("w", type, rows, cols, data);
            float[] x = new float[w * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            float[] sums = new float[w * (cols / 32)];
            for (int k = 0; k < w; k++) {
                Kernels.blockSums(x, k * cols, cols, sums, k * (cols / 32));
            }
            float[] out = new float[w * rows];
            new Matmul(pool, cols).multiply(m, out, x, w);
            for (int k = 0; k < w; k++) {
                for (int r = 0; r < rows; r++) {
                    float expected = m.dot(r, x, k * cols, sums, k * (cols / 32));
                    float actual = out[k * rows + r];
                    assertTrue(Math.abs(actual - expected) <= 1e-4f * (1 + Math.abs(expected)),
                            type + " weight row " + r + ", window row " + k + ": " + actual + " vs " + expected);
                }
            }
        }
    }
}
