package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.GgufFile;
import dev.mirrorsd.core.format.gguf.GgufTensorInfo;
import dev.mirrorsd.core.weights.HostTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
                HostTensor reference = gguf.readTensor(info);
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
                        assertEquals(reference.data()[r * cols + c], widened[c], 0f, fixture + " " + info.name() + " widened");
                    }
                    for (int k = 0; k < w; k++) {
                        double expected = 0;
                        double magnitude = 0;
                        for (int c = 0; c < cols; c++) {
                            double p = (double) reference.data()[r * cols + c] * x[k * cols + c];
                            expected += p;
                            magnitude += Math.abs(p);
                        }
                        double tolerance = 1e-5 * magnitude + 1e-6;
                        String what = fixture + " " + info.name() + " (" + info.type() + ") row " + r;
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
                checked++;
            }
        }
        assertTrue(checked > 0, fixture + " has no matrix to check");
    }
}
