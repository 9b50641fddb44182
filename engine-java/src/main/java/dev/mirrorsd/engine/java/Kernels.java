package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.KQuantScales;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * The hot loops, on the Vector API. Block kernels dequantize in registers: a block's bytes load
 * as one byte vector per {@code LANES} elements, widen to floats, and meet the activations without
 * ever being written out; the scale multiplies a block's partial sum once. The Q4_1 dot kernels
 * widen the nibble bytes to ints before splitting them: AVX2 has no byte shift, so a byte vector's
 * shift costs several instructions where an int vector's costs one.
 *
 * <p>No vector crosses a method boundary of this class: each kernel is one method. C2 sometimes
 * declines to inline a small helper that returns a vector (once it has compiled it on its own, for
 * one), and the vector is then boxed on every call; measured, a decode step's window then cost 11
 * one-row passes instead of 3 in some runs and not others.
 *
 * <p>Block layouts (ggml's {@code block_q8_0}, {@code block_q4_0}, {@code block_q4_1}), 32 elements:
 * Q8_0 is an f16 scale then 32 int8; Q4_0 an f16 scale then 16 bytes whose low nibbles are
 * elements 0..15 and high nibbles elements 16..31, value {@code (q - 8) * d}; Q4_1 an f16 scale, an
 * f16 minimum, then the same 16 bytes, value {@code q * d + m}.
 */
final class Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    /** The vector kernels need a byte vector of LANES bytes: 64 bits at least, 16 bytes at most (half a nibble row). */
    static final boolean VECTORIZED = LANES >= 8 && LANES <= 16;
    private static final VectorSpecies<Byte> B = VECTORIZED
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8)) : null;
    private static final VectorSpecies<Integer> I = VECTORIZED
            ? VectorSpecies.of(int.class, F.vectorShape()) : null;
    private static final VectorSpecies<Short> S = VECTORIZED
            ? VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16)) : null;
    /** 0, 1, 2, ...: lane numbers, for per-lane shifts of a block's fifth bits. */
    private static final int[] IOTA = IntStream.range(0, 48).toArray();
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Kernels() {
    }

    static float f16(MemorySegment data, long at) {
        return Float.float16ToFloat(data.get(F16, at));
    }

    // ---- fp32 ----

    static float dotF32(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector w = FloatVector.fromMemorySegment(F, data, at + 4L * i, LE);
            acc = w.fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at + 4L * i) * x[xo + i];
        }
        return sum;
    }

    static void widenF32(MemorySegment data, long at, int n, float[] dst, int off) {
        MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED, at, dst, off, n);
    }

    /** {@code a[ao..ao+n) . b[bo..bo+n)}. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** {@code y[yo..yo+n) += alpha * x[xo..xo+n)}. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector.fromArray(F, x, xo + i).fma(a, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    // ---- Q8_0: f16 d, 32 x int8 ----

    static float dotQ8_0(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 32, at += 34) {
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 32; j += LANES) {
                ByteVector raw = ByteVector.fromMemorySegment(B, data, at + 2 + j, LE);
                FloatVector q = (FloatVector) raw.convertShape(VectorOperators.B2F, F, 0);
                s = q.fma(FloatVector.fromArray(F, x, xo + b + j), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(data, at)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static void widenQ8_0(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 32, at += 34) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            for (int j = 0; j < 32; j += LANES) {
                ByteVector raw = ByteVector.fromMemorySegment(B, data, at + 2 + j, LE);
                FloatVector q = (FloatVector) raw.convertShape(VectorOperators.B2F, F, 0);
                q.mul(d).intoArray(dst, off + b + j);
            }
        }
    }

    // ---- Q4_0: f16 d, 16 bytes of nibbles; (q - 8) * d ----

    static float dotQ4_0(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 32, at += 18) {
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += LANES) {
                ByteVector raw = ByteVector.fromMemorySegment(B, data, at + 2 + j, LE);
                FloatVector lo = (FloatVector) raw.and((byte) 0x0F).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) raw.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, xo + b + j), s);
                s = hi.fma(FloatVector.fromArray(F, x, xo + b + 16 + j), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(data, at)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static void widenQ4_0(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 32, at += 18) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            for (int j = 0; j < 16; j += LANES) {
                ByteVector raw = ByteVector.fromMemorySegment(B, data, at + 2 + j, LE);
                FloatVector lo = (FloatVector) raw.and((byte) 0x0F).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) raw.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0);
                lo.mul(d).intoArray(dst, off + b + j);
                hi.mul(d).intoArray(dst, off + b + 16 + j);
            }
        }
    }

    // ---- Q4_1: f16 d, f16 m, 16 bytes of nibbles; q * d + m ----

    /**
     * Row {@code .} x for a Q4_1 row, given {@code sums[so + b]}, the sum of x's block {@code b}
     * ({@link #blockSums}): (q d + m) . x is d (q . x) + m sum(x), and the second term needs no
     * vector work once the block sums are known, which are the same for every weight row.
     */
    static float dotQ4_1(MemorySegment data, long at, int n, float[] x, int xo, float[] sums, int so) {
        FloatVector accQ = FloatVector.zero(F);
        float accM = 0f;
        for (int b = 0; b < n; b += 32, at += 20) {
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 4 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = (FloatVector) raw.and(0x0F).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                        .convert(VectorOperators.I2F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, xo + b + j), s);
                s = hi.fma(FloatVector.fromArray(F, x, xo + b + 16 + j), s);
            }
            accQ = s.fma(FloatVector.broadcast(F, f16(data, at)), accQ);
            accM = Math.fma(f16(data, at + 2), sums[so + (b >> 5)], accM);
        }
        return accQ.reduceLanes(VectorOperators.ADD) + accM;
    }

    /** {@code sums[so + b] = x[xo + 32 b ..][0..32)} summed, for each of the {@code n / 32} blocks. */
    static void blockSums(float[] x, int xo, int n, float[] sums, int so) {
        for (int b = 0; b < n; b += 32) {
            FloatVector v = FloatVector.fromArray(F, x, xo + b);
            for (int j = LANES; j < 32; j += LANES) {
                v = v.add(FloatVector.fromArray(F, x, xo + b + j));
            }
            sums[so + (b >> 5)] = v.reduceLanes(VectorOperators.ADD);
        }
    }

    static void widenQ4_1(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 32, at += 20) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            FloatVector m = FloatVector.broadcast(F, f16(data, at + 2));
            for (int j = 0; j < 16; j += LANES) {
                ByteVector raw = ByteVector.fromMemorySegment(B, data, at + 4 + j, LE);
                FloatVector lo = (FloatVector) raw.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
                FloatVector hi = (FloatVector) raw.lanewise(VectorOperators.LSHR, 4)
                        .convertShape(VectorOperators.B2F, F, 0);
                lo.fma(d, m).intoArray(dst, off + b + j);
                hi.fma(d, m).intoArray(dst, off + b + 16 + j);
            }
        }
    }

    // ---- five-bit blocks: Q4_0/Q4_1's nibbles plus a u32 of fifth bits, bit j for element j ----

    /**
     * Q5_0: f16 d, u32 fifth bits, 16 bytes of nibbles; {@code ((q | fifth << 4) - 16) * d}. Lane
     * {@code i} of a vector at element {@code j} takes bit {@code j + i} (low half) or {@code j + 16 + i}
     * (high half) of the u32: one variable shift of the broadcast word per vector.
     */
    static float dotQ5_0(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 32, at += 22) {
            IntVector qh = IntVector.broadcast(I, data.get(U32, at + 2));
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 6 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                FloatVector lo = (FloatVector) raw.and(0x0F).or(h0).sub(16).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1).sub(16)
                        .convert(VectorOperators.I2F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, xo + b + j), s);
                s = hi.fma(FloatVector.fromArray(F, x, xo + b + 16 + j), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(data, at)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static void widenQ5_0(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 32, at += 22) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            IntVector qh = IntVector.broadcast(I, data.get(U32, at + 2));
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 6 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                ((FloatVector) raw.and(0x0F).or(h0).sub(16).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(dst, off + b + j);
                ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1).sub(16)
                        .convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, off + b + 16 + j);
            }
        }
    }

    /** Q5_1: f16 d, f16 m, u32 fifth bits, 16 bytes of nibbles; {@code (q | fifth << 4) * d + m}, m's term from block sums as Q4_1's. */
    static float dotQ5_1(MemorySegment data, long at, int n, float[] x, int xo, float[] sums, int so) {
        FloatVector accQ = FloatVector.zero(F);
        float accM = 0f;
        for (int b = 0; b < n; b += 32, at += 24) {
            IntVector qh = IntVector.broadcast(I, data.get(U32, at + 4));
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 8 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                FloatVector lo = (FloatVector) raw.and(0x0F).or(h0).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1)
                        .convert(VectorOperators.I2F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, xo + b + j), s);
                s = hi.fma(FloatVector.fromArray(F, x, xo + b + 16 + j), s);
            }
            accQ = s.fma(FloatVector.broadcast(F, f16(data, at)), accQ);
            accM = Math.fma(f16(data, at + 2), sums[so + (b >> 5)], accM);
        }
        return accQ.reduceLanes(VectorOperators.ADD) + accM;
    }

    static void widenQ5_1(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 32, at += 24) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            FloatVector m = FloatVector.broadcast(F, f16(data, at + 2));
            IntVector qh = IntVector.broadcast(I, data.get(U32, at + 4));
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 8 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                ((FloatVector) raw.and(0x0F).or(h0).convert(VectorOperators.I2F, 0)).mul(d).add(m)
                        .intoArray(dst, off + b + j);
                ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1)
                        .convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, off + b + 16 + j);
            }
        }
    }

    // ---- K-quants: super-blocks of 256 ----

    /**
     * Q4_K: f16 d, f16 dmin, twelve scale bytes ({@link KQuantScales}), 128 bytes of nibbles; each 64 elements take 32
     * bytes, low nibbles sub-block 2k and high nibbles 2k+1, value {@code d sc q - dmin m}. As for
     * Q4_1, the minimums' term is {@code dmin m} times the 32-element block sums of x.
     */
    static float dotQ4_K(MemorySegment data, long at, int n, float[] x, int xo, float[] sums, int so) {
        FloatVector acc = FloatVector.zero(F);
        float accM = 0f;
        for (int b = 0; b < n; b += 256, at += 144) {
            float d = f16(data, at);
            float dmin = f16(data, at + 2);
            long scales = at + 4;
            for (int k = 0; k < 4; k++) {
                long q = at + 16 + 32L * k;
                int c = xo + b + 64 * k;
                FloatVector lo = FloatVector.zero(F);
                FloatVector hi = FloatVector.zero(F);
                for (int j = 0; j < 32; j += LANES) {
                    IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    lo = ((FloatVector) raw.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F, x, c + j), lo);
                    hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F, x, c + 32 + j), hi);
                }
                acc = lo.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k + 1)), acc);
                int sb = so + (b >> 5) + 2 * k;
                accM = Math.fma(dmin * KQuantScales.min(data, scales, 2 * k), sums[sb], accM);
                accM = Math.fma(dmin * KQuantScales.min(data, scales, 2 * k + 1), sums[sb + 1], accM);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) - accM;
    }

    static void widenQ4_K(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 256, at += 144) {
            float d = f16(data, at);
            float dmin = f16(data, at + 2);
            long scales = at + 4;
            for (int k = 0; k < 4; k++) {
                long q = at + 16 + 32L * k;
                int c = off + b + 64 * k;
                FloatVector d1 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k));
                FloatVector m1 = FloatVector.broadcast(F, dmin * KQuantScales.min(data, scales, 2 * k));
                FloatVector d2 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k + 1));
                FloatVector m2 = FloatVector.broadcast(F, dmin * KQuantScales.min(data, scales, 2 * k + 1));
                for (int j = 0; j < 32; j += LANES) {
                    IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    ((FloatVector) raw.and(0x0F).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1)
                            .intoArray(dst, c + j);
                    ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0))
                            .mul(d2).sub(m2).intoArray(dst, c + 32 + j);
                }
            }
        }
    }

    /**
     * Q5_K: f16 d, f16 dmin, twelve scale bytes as Q4_K's, 32 bytes of fifth bits, 128 bytes of
     * nibbles; sub-blocks 2k and 2k+1 take their fifth bits from bits 2k and 2k+1 of the 32 bytes.
     */
    static float dotQ5_K(MemorySegment data, long at, int n, float[] x, int xo, float[] sums, int so) {
        FloatVector acc = FloatVector.zero(F);
        float accM = 0f;
        for (int b = 0; b < n; b += 256, at += 176) {
            float d = f16(data, at);
            float dmin = f16(data, at + 2);
            long scales = at + 4;
            for (int k = 0; k < 4; k++) {
                long q = at + 48 + 32L * k;
                int c = xo + b + 64 * k;
                FloatVector lo = FloatVector.zero(F);
                FloatVector hi = FloatVector.zero(F);
                for (int j = 0; j < 32; j += LANES) {
                    IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, data, at + 16 + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h0 = qh.lanewise(VectorOperators.LSHR, 2 * k).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector h1 = qh.lanewise(VectorOperators.LSHR, 2 * k + 1).and(1).lanewise(VectorOperators.LSHL, 4);
                    lo = ((FloatVector) raw.and(0x0F).or(h0).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F, x, c + j), lo);
                    hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1)
                            .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, c + 32 + j), hi);
                }
                acc = lo.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k + 1)), acc);
                int sb = so + (b >> 5) + 2 * k;
                accM = Math.fma(dmin * KQuantScales.min(data, scales, 2 * k), sums[sb], accM);
                accM = Math.fma(dmin * KQuantScales.min(data, scales, 2 * k + 1), sums[sb + 1], accM);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) - accM;
    }

    static void widenQ5_K(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 256, at += 176) {
            float d = f16(data, at);
            float dmin = f16(data, at + 2);
            long scales = at + 4;
            for (int k = 0; k < 4; k++) {
                long q = at + 48 + 32L * k;
                int c = off + b + 64 * k;
                FloatVector d1 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k));
                FloatVector m1 = FloatVector.broadcast(F, dmin * KQuantScales.min(data, scales, 2 * k));
                FloatVector d2 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k + 1));
                FloatVector m2 = FloatVector.broadcast(F, dmin * KQuantScales.min(data, scales, 2 * k + 1));
                for (int j = 0; j < 32; j += LANES) {
                    IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, data, at + 16 + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h0 = qh.lanewise(VectorOperators.LSHR, 2 * k).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector h1 = qh.lanewise(VectorOperators.LSHR, 2 * k + 1).and(1).lanewise(VectorOperators.LSHL, 4);
                    ((FloatVector) raw.and(0x0F).or(h0).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1)
                            .intoArray(dst, c + j);
                    ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1).convert(VectorOperators.I2F, 0))
                            .mul(d2).sub(m2).intoArray(dst, c + 32 + j);
                }
            }
        }
    }

    /**
     * Q6_K: 128 bytes of low nibbles, 64 bytes of high bit pairs, 16 int8 scales (one per 16
     * elements), f16 d; value {@code d sc (q - 32)}. Each half of 128 elements takes 64 nibble
     * bytes and 32 pair bytes: byte l's four pairs go to elements l, l + 32, l + 64 and l + 96, and
     * a vector of {@code LANES <= 16} elements stays within one scale's 16.
     */
    static float dotQ6_K(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n; b += 256, at += 210) {
            float d = f16(data, at + 208);
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                long sc = at + 192 + 8L * half;
                int c = xo + b + 128 * half;
                for (int l = 0; l < 32; l += LANES) {
                    int is = l / 16;
                    IntVector lo = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector hi = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l + 32, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, data, qh + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    FloatVector q1 = (FloatVector) lo.and(0x0F).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0);
                    FloatVector q2 = (FloatVector) hi.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0);
                    FloatVector q3 = (FloatVector) lo.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0);
                    FloatVector q4 = (FloatVector) hi.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 6).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0);
                    acc = q1.mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is))
                            .fma(FloatVector.fromArray(F, x, c + l), acc);
                    acc = q2.mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2))
                            .fma(FloatVector.fromArray(F, x, c + l + 32), acc);
                    acc = q3.mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4))
                            .fma(FloatVector.fromArray(F, x, c + l + 64), acc);
                    acc = q4.mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6))
                            .fma(FloatVector.fromArray(F, x, c + l + 96), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static void widenQ6_K(MemorySegment data, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n; b += 256, at += 210) {
            float d = f16(data, at + 208);
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                long sc = at + 192 + 8L * half;
                int c = off + b + 128 * half;
                for (int l = 0; l < 32; l += LANES) {
                    int is = l / 16;
                    IntVector lo = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector hi = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l + 32, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, data, qh + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    ((FloatVector) lo.and(0x0F).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is)).intoArray(dst, c + l);
                    ((FloatVector) hi.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2)).intoArray(dst, c + l + 32);
                    ((FloatVector) lo.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4)).intoArray(dst, c + l + 64);
                    ((FloatVector) hi.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 6).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0))
                            .mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6)).intoArray(dst, c + l + 96);
                }
            }
        }
    }

    // ---- F16: half floats widened with integer operations (the Vector API has no half-float conversion) ----

    /**
     * {@code dst[off..off+n)} from {@code n} f16 values at {@code at}, as {@link Float#float16ToFloat}:
     * the exponent and mantissa shifted into a float's place read as a float 2^112 too small, for
     * zeros and subnormals too, so one exact multiply rebases them; infinities and NaNs (exponent 31)
     * take the float's all-ones exponent instead; then the sign. An exact conversion with masks and
     * a subtraction cost three times as much and ran no faster than the scalar one.
     */
    static void widenF16(MemorySegment data, long at, int n, float[] dst, int off) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, data, at + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector o = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
            FloatVector f = o.reinterpretAsFloats().mul(0x1p112f)
                    .blend(o.or(0x7F800000).reinterpretAsFloats(), o.compare(VectorOperators.GE, 0x0F800000).cast(F));
            f.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats()
                    .intoArray(dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = f16(data, at + 2L * i);
        }
    }

    static float dotF16(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, data, at + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector o = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
            FloatVector f = o.reinterpretAsFloats().mul(0x1p112f)
                    .blend(o.or(0x7F800000).reinterpretAsFloats(), o.compare(VectorOperators.GE, 0x0F800000).cast(F));
            FloatVector w = f.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += f16(data, at + 2L * i) * x[xo + i];
        }
        return sum;
    }

    // ---- BF16: the top half of an fp32 ----

    static float dotBF16(MemorySegment data, long at, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, data, at + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.intBitsToFloat(data.get(F16, at + 2L * i) << 16) * x[xo + i];
        }
        return sum;
    }

    static void widenBF16(MemorySegment data, long at, int n, float[] dst, int off) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            ((IntVector) ShortVector.fromMemorySegment(S, data, at + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .intoArray(dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = Float.intBitsToFloat(data.get(F16, at + 2L * i) << 16);
        }
    }

    // ---- four window rows at once: each block widened once in registers, met by four activation rows ----

    /**
     * {@code out[o + k * outStride] = row . x[(r + k) * n ..]} for {@code k < 4}: a Q4_1 row against
     * window rows {@code r..r+3} of {@code x (rows, n)}.
     */
    static void dot4Q4_1(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 32, at += 20) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            FloatVector m = FloatVector.broadcast(F, f16(data, at + 2));
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 4 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = ((FloatVector) raw.and(0x0F).convert(VectorOperators.I2F, 0)).fma(d, m);
                FloatVector hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                        .convert(VectorOperators.I2F, 0)).fma(d, m);
                int c = b + j;
                a0 = hi.fma(FloatVector.fromArray(F, x, x0 + c + 16), lo.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                a1 = hi.fma(FloatVector.fromArray(F, x, x1 + c + 16), lo.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                a2 = hi.fma(FloatVector.fromArray(F, x, x2 + c + 16), lo.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                a3 = hi.fma(FloatVector.fromArray(F, x, x3 + c + 16), lo.fma(FloatVector.fromArray(F, x, x3 + c), a3));
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_1} for a Q8_0 row. */
    static void dot4Q8_0(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 32, at += 34) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            for (int j = 0; j < 32; j += LANES) {
                ByteVector raw = ByteVector.fromMemorySegment(B, data, at + 2 + j, LE);
                FloatVector w = ((FloatVector) raw.convertShape(VectorOperators.B2F, F, 0)).mul(d);
                int c = b + j;
                a0 = w.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                a1 = w.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                a2 = w.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                a3 = w.fma(FloatVector.fromArray(F, x, x3 + c), a3);
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_1} for a Q4_0 row. */
    static void dot4Q4_0(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 32, at += 18) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 2 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = ((FloatVector) raw.and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d);
                FloatVector hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8)
                        .convert(VectorOperators.I2F, 0)).mul(d);
                int c = b + j;
                a0 = hi.fma(FloatVector.fromArray(F, x, x0 + c + 16), lo.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                a1 = hi.fma(FloatVector.fromArray(F, x, x1 + c + 16), lo.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                a2 = hi.fma(FloatVector.fromArray(F, x, x2 + c + 16), lo.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                a3 = hi.fma(FloatVector.fromArray(F, x, x3 + c + 16), lo.fma(FloatVector.fromArray(F, x, x3 + c), a3));
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_1} for a Q5_1 row. */
    static void dot4Q5_1(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 32, at += 24) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            FloatVector m = FloatVector.broadcast(F, f16(data, at + 2));
            IntVector qh = IntVector.broadcast(I, data.get(U32, at + 4));
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 8 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                FloatVector lo = ((FloatVector) raw.and(0x0F).or(h0).convert(VectorOperators.I2F, 0)).fma(d, m);
                FloatVector hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1)
                        .convert(VectorOperators.I2F, 0)).fma(d, m);
                int c = b + j;
                a0 = hi.fma(FloatVector.fromArray(F, x, x0 + c + 16), lo.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                a1 = hi.fma(FloatVector.fromArray(F, x, x1 + c + 16), lo.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                a2 = hi.fma(FloatVector.fromArray(F, x, x2 + c + 16), lo.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                a3 = hi.fma(FloatVector.fromArray(F, x, x3 + c + 16), lo.fma(FloatVector.fromArray(F, x, x3 + c), a3));
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_K} for a Q5_K row. */
    static void dot4Q5_K(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 256, at += 176) {
            float d = f16(data, at);
            float dmin = f16(data, at + 2);
            long scales = at + 4;
            for (int k = 0; k < 4; k++) {
                long q = at + 48 + 32L * k;
                FloatVector d1 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * KQuantScales.min(data, scales, 2 * k));
                FloatVector d2 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k + 1));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * KQuantScales.min(data, scales, 2 * k + 1));
                for (int j = 0; j < 32; j += LANES) {
                    IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, data, at + 16 + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h0 = qh.lanewise(VectorOperators.LSHR, 2 * k).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector h1 = qh.lanewise(VectorOperators.LSHR, 2 * k + 1).and(1).lanewise(VectorOperators.LSHL, 4);
                    FloatVector lo = ((FloatVector) raw.and(0x0F).or(h0).convert(VectorOperators.I2F, 0)).fma(d1, m1);
                    FloatVector hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1)
                            .convert(VectorOperators.I2F, 0)).fma(d2, m2);
                    int c = b + 64 * k + j;
                    a0 = hi.fma(FloatVector.fromArray(F, x, x0 + c + 32), lo.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                    a1 = hi.fma(FloatVector.fromArray(F, x, x1 + c + 32), lo.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                    a2 = hi.fma(FloatVector.fromArray(F, x, x2 + c + 32), lo.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                    a3 = hi.fma(FloatVector.fromArray(F, x, x3 + c + 32), lo.fma(FloatVector.fromArray(F, x, x3 + c), a3));
                }
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_1} for a Q5_0 row. */
    static void dot4Q5_0(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 32, at += 22) {
            FloatVector d = FloatVector.broadcast(F, f16(data, at));
            IntVector qh = IntVector.broadcast(I, data.get(U32, at + 2));
            for (int j = 0; j < 16; j += LANES) {
                IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, at + 6 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, IOTA, j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                FloatVector lo = ((FloatVector) raw.and(0x0F).or(h0).sub(16).convert(VectorOperators.I2F, 0)).mul(d);
                FloatVector hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(h1).sub(16)
                        .convert(VectorOperators.I2F, 0)).mul(d);
                int c = b + j;
                a0 = hi.fma(FloatVector.fromArray(F, x, x0 + c + 16), lo.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                a1 = hi.fma(FloatVector.fromArray(F, x, x1 + c + 16), lo.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                a2 = hi.fma(FloatVector.fromArray(F, x, x2 + c + 16), lo.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                a3 = hi.fma(FloatVector.fromArray(F, x, x3 + c + 16), lo.fma(FloatVector.fromArray(F, x, x3 + c), a3));
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_1} for a Q4_K row: each sub-block's scale and minimum applied once per vector of weights. */
    static void dot4Q4_K(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 256, at += 144) {
            float d = f16(data, at);
            float dmin = f16(data, at + 2);
            long scales = at + 4;
            for (int k = 0; k < 4; k++) {
                long q = at + 16 + 32L * k;
                FloatVector d1 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * KQuantScales.min(data, scales, 2 * k));
                FloatVector d2 = FloatVector.broadcast(F, d * KQuantScales.scale(data, scales, 2 * k + 1));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * KQuantScales.min(data, scales, 2 * k + 1));
                for (int j = 0; j < 32; j += LANES) {
                    IntVector raw = (IntVector) ByteVector.fromMemorySegment(B, data, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    FloatVector lo = ((FloatVector) raw.and(0x0F).convert(VectorOperators.I2F, 0)).fma(d1, m1);
                    FloatVector hi = ((FloatVector) raw.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .convert(VectorOperators.I2F, 0)).fma(d2, m2);
                    int c = b + 64 * k + j;
                    a0 = hi.fma(FloatVector.fromArray(F, x, x0 + c + 32), lo.fma(FloatVector.fromArray(F, x, x0 + c), a0));
                    a1 = hi.fma(FloatVector.fromArray(F, x, x1 + c + 32), lo.fma(FloatVector.fromArray(F, x, x1 + c), a1));
                    a2 = hi.fma(FloatVector.fromArray(F, x, x2 + c + 32), lo.fma(FloatVector.fromArray(F, x, x2 + c), a2));
                    a3 = hi.fma(FloatVector.fromArray(F, x, x3 + c + 32), lo.fma(FloatVector.fromArray(F, x, x3 + c), a3));
                }
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot4Q4_1} for a Q6_K row. */
    static void dot4Q6_K(MemorySegment data, long at, int n, float[] x, int r, float[] out, int o, int outStride) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int x0 = r * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int b = 0; b < n; b += 256, at += 210) {
            float d = f16(data, at + 208);
            for (int half = 0; half < 2; half++) {
                long ql = at + 64L * half;
                long qh = at + 128 + 32L * half;
                long sc = at + 192 + 8L * half;
                for (int l = 0; l < 32; l += LANES) {
                    int is = l / 16;
                    IntVector lo = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector hi = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l + 32, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, data, qh + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    FloatVector w1 = ((FloatVector) lo.and(0x0F).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is));
                    FloatVector w2 = ((FloatVector) hi.and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 2));
                    FloatVector w3 = ((FloatVector) lo.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 4));
                    FloatVector w4 = ((FloatVector) hi.lanewise(VectorOperators.LSHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 6).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .convert(VectorOperators.I2F, 0)).mul(d * data.get(ValueLayout.JAVA_BYTE, sc + is + 6));
                    int c = b + 128 * half + l;
                    a0 = w4.fma(FloatVector.fromArray(F, x, x0 + c + 96), w3.fma(FloatVector.fromArray(F, x, x0 + c + 64),
                            w2.fma(FloatVector.fromArray(F, x, x0 + c + 32), w1.fma(FloatVector.fromArray(F, x, x0 + c), a0))));
                    a1 = w4.fma(FloatVector.fromArray(F, x, x1 + c + 96), w3.fma(FloatVector.fromArray(F, x, x1 + c + 64),
                            w2.fma(FloatVector.fromArray(F, x, x1 + c + 32), w1.fma(FloatVector.fromArray(F, x, x1 + c), a1))));
                    a2 = w4.fma(FloatVector.fromArray(F, x, x2 + c + 96), w3.fma(FloatVector.fromArray(F, x, x2 + c + 64),
                            w2.fma(FloatVector.fromArray(F, x, x2 + c + 32), w1.fma(FloatVector.fromArray(F, x, x2 + c), a2))));
                    a3 = w4.fma(FloatVector.fromArray(F, x, x3 + c + 96), w3.fma(FloatVector.fromArray(F, x, x3 + c + 64),
                            w2.fma(FloatVector.fromArray(F, x, x3 + c + 32), w1.fma(FloatVector.fromArray(F, x, x3 + c), a3))));
                }
            }
        }
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    // ---- widened weight rows against window rows: a long window shares each row's unpacking ----

    /** Weight rows per panel of a prompt matmul ({@link #panel4}): two vectors of outputs. */
    static final int PANEL = 2 * LANES;

    /**
     * {@code acc[(r + i) * PANEL + j] += x[(r + i) * cols + k] * p[k * PANEL + j]} summed over
     * {@code k0 <= k < k1}, for window rows {@code r..r+rows-1} ({@code rows} 1 to 4) and every
     * {@code j < PANEL}: weight rows widened and transposed into a panel, so each step broadcasts one
     * activation per window row against two vectors of the panel, and the eight sums stay in
     * registers with no horizontal reduction at the end. Each sum runs in order of {@code k}.
     */
    static void panel4(float[] p, int k0, int k1, float[] x, int cols, int r, int rows, float[] acc) {
        int i1 = Math.min(1, rows - 1); // short of four rows, the last one repeats and writes the same sums
        int i2 = Math.min(2, rows - 1);
        int i3 = Math.min(3, rows - 1);
        int x0 = r * cols;
        int x1 = (r + i1) * cols;
        int x2 = (r + i2) * cols;
        int x3 = (r + i3) * cols;
        int o0 = r * PANEL;
        int o1 = (r + i1) * PANEL;
        int o2 = (r + i2) * PANEL;
        int o3 = (r + i3) * PANEL;
        FloatVector c00 = FloatVector.fromArray(F, acc, o0);
        FloatVector c01 = FloatVector.fromArray(F, acc, o0 + LANES);
        FloatVector c10 = FloatVector.fromArray(F, acc, o1);
        FloatVector c11 = FloatVector.fromArray(F, acc, o1 + LANES);
        FloatVector c20 = FloatVector.fromArray(F, acc, o2);
        FloatVector c21 = FloatVector.fromArray(F, acc, o2 + LANES);
        FloatVector c30 = FloatVector.fromArray(F, acc, o3);
        FloatVector c31 = FloatVector.fromArray(F, acc, o3 + LANES);
        for (int k = k0; k < k1; k++) {
            FloatVector p0 = FloatVector.fromArray(F, p, k * PANEL);
            FloatVector p1 = FloatVector.fromArray(F, p, k * PANEL + LANES);
            FloatVector b = FloatVector.broadcast(F, x[x0 + k]);
            c00 = p0.fma(b, c00);
            c01 = p1.fma(b, c01);
            b = FloatVector.broadcast(F, x[x1 + k]);
            c10 = p0.fma(b, c10);
            c11 = p1.fma(b, c11);
            b = FloatVector.broadcast(F, x[x2 + k]);
            c20 = p0.fma(b, c20);
            c21 = p1.fma(b, c21);
            b = FloatVector.broadcast(F, x[x3 + k]);
            c30 = p0.fma(b, c30);
            c31 = p1.fma(b, c31);
        }
        c00.intoArray(acc, o0);
        c01.intoArray(acc, o0 + LANES);
        c10.intoArray(acc, o1);
        c11.intoArray(acc, o1 + LANES);
        c20.intoArray(acc, o2);
        c21.intoArray(acc, o2 + LANES);
        c30.intoArray(acc, o3);
        c31.intoArray(acc, o3 + LANES);
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]}, silu(g) = g / (1 + e^-g); the exponential vectorized. */
    static void swiglu(float[] gate, float[] up) {
        int i = 0;
        for (int bound = F.loopBound(gate.length); i < bound; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(e).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < gate.length; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
