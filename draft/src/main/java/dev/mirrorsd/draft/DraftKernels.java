package dev.mirrorsd.draft;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The feature draft's arithmetic on the CPU: a one-row draft step is a few matrix-vector products
 * over weights that do not fit in cache, so each product is one pass over its rows in SIMD lanes
 * (the Vector API), four rows at a time so that every load of {@code x} feeds four rows. Vectors
 * never pass through a helper method: C2 does not always inline one, and then boxes each vector.
 */
final class DraftKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** As many int8 lanes as F has float lanes: one load widens to one float vector. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

    private DraftKernels() {
    }

    /** {@code out[outOff + r] = W[r, :] . x[xOff ..]} for {@code rows} rows of {@code cols} (row-major W). */
    static void matvec(float[] w, int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int w0 = r * cols;
            int w1 = w0 + cols;
            int w2 = w1 + cols;
            int w3 = w2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            int c = 0;
            for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                a0 = FloatVector.fromArray(F, w, w0 + c).fma(xv, a0);
                a1 = FloatVector.fromArray(F, w, w1 + c).fma(xv, a1);
                a2 = FloatVector.fromArray(F, w, w2 + c).fma(xv, a2);
                a3 = FloatVector.fromArray(F, w, w3 + c).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                float xc = x[xOff + c];
                s0 += w[w0 + c] * xc;
                s1 += w[w1 + c] * xc;
                s2 += w[w2 + c] * xc;
                s3 += w[w3 + c] * xc;
            }
            out[outOff + r] = s0;
            out[outOff + r + 1] = s1;
            out[outOff + r + 2] = s2;
            out[outOff + r + 3] = s3;
        }
        for (; r < rows; r++) {
            out[outOff + r] = dot(w, r * cols, x, xOff, cols);
        }
    }

    /**
     * As {@link #matvec} over int8 rows with one scale each ({@link Int8Rows}): a quarter of the
     * bytes to stream, which is what a one-row step is bound by.
     */
    static void matvec(Int8Rows w, float[] x, int xOff, float[] out, int outOff) {
        int cols = w.cols();
        byte[] q = w.values();
        float[] scales = w.scales();
        int bound = B.loopBound(cols);
        int r = 0;
        // four rows at a time, as the float kernel: four independent FMA chains instead of one that
        // waits out the FMA's latency every step (the head's 16,384 rows took 1.5 ms so)
        for (; r + 4 <= w.rows(); r += 4) {
            int w0 = r * cols;
            int w1 = w0 + cols;
            int w2 = w1 + cols;
            int w3 = w2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += B.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                FloatVector q0 = (FloatVector) ByteVector.fromArray(B, q, w0 + c)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector q1 = (FloatVector) ByteVector.fromArray(B, q, w1 + c)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector q2 = (FloatVector) ByteVector.fromArray(B, q, w2 + c)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector q3 = (FloatVector) ByteVector.fromArray(B, q, w3 + c)
                        .convertShape(VectorOperators.B2F, F, 0);
                a0 = q0.fma(xv, a0);
                a1 = q1.fma(xv, a1);
                a2 = q2.fma(xv, a2);
                a3 = q3.fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                float xc = x[xOff + c];
                s0 += q[w0 + c] * xc;
                s1 += q[w1 + c] * xc;
                s2 += q[w2 + c] * xc;
                s3 += q[w3 + c] * xc;
            }
            out[outOff + r] = s0 * scales[r];
            out[outOff + r + 1] = s1 * scales[r + 1];
            out[outOff + r + 2] = s2 * scales[r + 2];
            out[outOff + r + 3] = s3 * scales[r + 3];
        }
        for (; r < w.rows(); r++) {
            int row = r * cols;
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += B.length()) {
                FloatVector wv = (FloatVector) ByteVector.fromArray(B, q, row + c)
                        .convertShape(VectorOperators.B2F, F, 0);
                acc = wv.fma(FloatVector.fromArray(F, x, xOff + c), acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                s += q[row + c] * x[xOff + c];
            }
            out[outOff + r] = s * scales[r];
        }
    }

    /**
     * A matrix as int8 rows, each scaled by its largest magnitude over 127 (symmetric, per row).
     *
     * @param values (rows, cols) row-major
     */
    record Int8Rows(int rows, int cols, byte[] values, float[] scales) {

        static Int8Rows quantize(float[] w, int rows, int cols) {
            byte[] values = new byte[rows * cols];
            float[] scales = new float[rows];
            for (int r = 0; r < rows; r++) {
                float max = 0f;
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, Math.abs(w[r * cols + c]));
                }
                float scale = max / 127f;
                scales[r] = scale;
                float inverse = scale == 0f ? 0f : 1f / scale;
                for (int c = 0; c < cols; c++) {
                    values[r * cols + c] = (byte) Math.round(w[r * cols + c] * inverse);
                }
            }
            return new Int8Rows(rows, cols, values, scales);
        }
    }

    /** {@code a[aOff ..] . b[bOff ..]} over {@code n} elements. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** {@code y[yOff ..] += alpha * x[xOff ..]} over {@code n} elements. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** {@code sum exp(x[i] - shift)} over {@code x[off .. off+n)}, the exponentials in SIMD lanes. */
    static double sumExp(float[] x, int off, int n, float shift) {
        FloatVector s = FloatVector.broadcast(F, shift);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = acc.add(FloatVector.fromArray(F, x, off + i).sub(s).lanewise(VectorOperators.EXP));
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Math.exp(x[off + i] - shift);
        }
        return sum;
    }

    /** RMSNorm of {@code x[xOff .. xOff+n)} scaled by {@code weight}, into {@code out[outOff ..]}. */
    static void rmsNorm(float[] x, int xOff, int n, float[] weight, float eps, float[] out, int outOff) {
        float ss = dot(x, xOff, x, xOff, n);
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[i];
        }
    }
}
