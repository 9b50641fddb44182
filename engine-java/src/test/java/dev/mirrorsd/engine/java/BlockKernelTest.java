package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.GgmlType;
import dev.mirrorsd.core.format.gguf.GgufFile;
import dev.mirrorsd.core.format.gguf.GgufTensorInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

import static dev.mirrorsd.core.testing.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every block format's kernels against core's reference widening (GgmlDequant through
 * {@link GgufFile#readTensor}) of the same mapped bytes: the fused one-row dot, the widened row,
 * and the batched matmul of one and of several rows, on every 2-D tensor of the fixture files.
 * Sums agree within 1e-5 of the sum of |w x| (float summation in another order).
 */
class BlockKernelTest {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @ValueSource(strings = {"gguf/quant_types.gguf", "kquant/tiny-256.Q4_K.gguf", "kquant/tiny-256.Q5_K.gguf",
            "kquant/tiny-256.Q6_K.gguf", "kquant/tiny-64.Q5_0.gguf", "kquant/tiny-64.Q5_1.gguf",
            "kquant/tiny-64.F16.gguf", "kquant/tiny-64.BF16.gguf"})
    void shouldDotEveryRowAsTheReferenceWidening(String fixture) throws IOException {
        Path file = path(fixture);
        SplittableRandom random = new SplittableRandom(fixture.hashCode());
        int checked = 0;
        try (GgufFile gguf = GgufFile.open(file); Arena arena = Arena.ofShared();
             FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             RowPool pool = new RowPool(2, "test")) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            for (GgufTensorInfo info : gguf.tensors()) {
                long[] dims = info.ggufDims();
                if (dims.length < 2) {
                    continue;
                }
                int cols = (int) dims[0];
                int rows = (int) (info.elementCount() / cols);
                Matrix m = Matrix.of(info.name(), info.type(), rows, cols,
                        mapped.asSlice(gguf.fileOffset(info), info.byteSize()));
                check(m, gguf.readTensor(info).data(), random, pool, fixture);
                checked++;
            }
        }
        assertTrue(checked > 0, fixture + " has no matrix to check");
    }

    /**
     * Random blocks, several to a row (three K-quant super-blocks, 24 blocks of 32), with finite
     * f16 scales: every bit pattern of the quantized bytes, and offsets past a row's first block,
     * which the fixtures' 256-column rows never reach.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void shouldDotRandomBlocksAsTheReferenceWidening(GgmlType type) {
        int rows = 5;
        int cols = 768;
        SplittableRandom random = new SplittableRandom(type.ordinal());
        long rowBytes = type.byteSize(cols);
        try (Arena arena = Arena.ofConfined(); RowPool pool = new RowPool(2, "test")) {
            MemorySegment data = arena.allocate(rows * rowBytes);
            for (long i = 0; i < data.byteSize(); i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
            }
            int blockBytes = (int) type.byteSize(type.blockSize());
            int[] halves = switch (type) {
                case Q8_0, Q4_0, Q5_0 -> new int[] {0};
                case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
                case Q6_K -> new int[] {208};
                default -> new int[0];
            };
            for (long block = 0; block < data.byteSize() / blockBytes; block++) {
                for (int h : halves) {
                    float scale = (float) (random.nextDouble(-1, 1) / (type.blockSize() > 32 ? 64 : 8));
                    data.set(LE16, block * blockBytes + h, Float.floatToFloat16(scale));
                }
            }
            for (int i = 0; type == GgmlType.F16 && i < rows * cols; i++) { // subnormals and zeros included
                float v = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(-26, 4)));
                data.set(LE16, 2L * i, Float.floatToFloat16(i % 97 == 0 ? 0f : v));
            }
            for (int i = 0; type == GgmlType.BF16 && i < rows * cols; i++) {
                data.set(LE16, 2L * i, (short) (Float.floatToRawIntBits((float) random.nextGaussian()) >>> 16));
            }
            for (int i = 0; type == GgmlType.F32 && i < rows * cols; i++) {
                data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i,
                        (float) random.nextGaussian());
            }
            float[] reference = new float[rows * cols];
            type.dequantize(data.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), rows * cols / type.blockSize(),
                    reference, 0, "random " + type);
            Matrix m = Matrix.of("random " + type, type, rows, cols, data);
            assertEquals(Kernels.VECTORIZED, m.hasFusedDot(), type + ": a register kernel wherever the Vector API runs");
            check(m, reference, random, pool, "random blocks");
        }
    }

    /** Every one of the 65,536 half floats widens as {@link Float#float16ToFloat}: the same bits, signed zeros and infinities included; NaNs stay NaNs (their payload may differ). */
    @org.junit.jupiter.api.Test
    void shouldWidenEveryHalfFloatAsTheJdk() {
        int cols = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(2L * cols);
            for (int i = 0; i < cols; i++) {
                data.set(LE16, 2L * i, (short) i);
            }
            float[] widened = new float[cols];
            Matrix.of("every half", GgmlType.F16, 1, cols, data).widenRow(0, widened, 0);
            for (int i = 0; i < cols; i++) {
                float expected = Float.float16ToFloat((short) i);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(widened[i]),
                        "half 0x" + Integer.toHexString(i) + " widened to " + widened[i] + ", expected " + expected);
            }
        }
    }

    /** {@code m}'s widened rows equal {@code reference} exactly; its dots and matmuls agree with the reference's sums. */
    private static void check(Matrix m, float[] referenceData, SplittableRandom random, RowPool pool, String fixture) {
        int rows = m.rows();
        int cols = m.cols();
                        int w = 6; // one group of four window rows and two left over
        float[] x = new float[w * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] sums = m.readsBlockSums() ? new float[cols / 32] : null;
        if (sums != null) {
            Kernels.blockSums(x, 0, cols, sums, 0);
        }
        float[] one = new float[rows];
        float[] many = new float[w * rows];
        Matmul matmul = new Matmul(pool, cols);
        matmul.multiply(m, one, x, 1);
        matmul.multiply(m, many, x, w);
        float[] widened = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.widenRow(r, widened, 0);
            for (int c = 0; c < cols; c++) {
                assertEquals(referenceData[r * cols + c], widened[c], 0f, fixture + " " + m.name() + " widened");
            }
            for (int k = 0; k < w; k++) {
                double expected = 0;
                double magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) referenceData[r * cols + c] * x[k * cols + c];
                    expected += p;
                    magnitude += Math.abs(p);
                }
                double tolerance = 1e-5 * magnitude + 1e-6;
                String what = fixture + " " + m.name() + " (" + m.type() + ") row " + r;
                if (k == 0) {
                    assertTrue(Math.abs(one[r] - expected) <= tolerance, what + ": one-row matmul " + one[r] + " vs " + expected);
                    if (m.hasFusedDot()) {
                        float fused = m.dot(r, x, 0, sums, 0);
                        assertTrue(Math.abs(fused - expected) <= tolerance, what + ": fused dot " + fused + " vs " + expected);
                    }
                }
                assertTrue(Math.abs(many[k * rows + r] - expected) <= tolerance,
                        what + ", window row " + k + ": " + many[k * rows + r] + " vs " + expected);
            }
        }
    }
}
