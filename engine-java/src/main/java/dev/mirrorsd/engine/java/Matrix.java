package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.GgmlType;
import dev.mirrorsd.core.model.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * A weight matrix {@code (rows, cols)} kept in its GGUF block format: row {@code r} is
 * {@code rowBytes} bytes at {@code r * rowBytes} of {@code data}, blocks of {@code type} back to
 * back, as ggml lays out a 2-D tensor. Read-only and shared by every thread.
 *
 * @param name     the tensor's name, for errors
 * @param type     block format of every row
 * @param rows     output features
 * @param cols     input features, a whole number of blocks
 * @param data     {@code rows * rowBytes} bytes, mapped from the file or copied from fp32 weights
 * @param rowBytes bytes of one row
 */
record Matrix(String name, GgmlType type, int rows, int cols, MemorySegment data, long rowBytes) {

    Matrix {
        if (cols % type.blockSize() != 0) {
            throw new ModelFormatException(name + ": " + cols + " columns are not a whole number of "
                    + type + " blocks of " + type.blockSize());
        }
        if (data.byteSize() < rows * rowBytes) {
            throw new ModelFormatException(name + ": " + data.byteSize() + " bytes hold fewer than "
                    + rows + " rows of " + rowBytes);
        }
    }

    static Matrix of(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        return new Matrix(name, type, rows, cols, data, type.byteSize(cols));
    }

    /** Byte offset of row {@code row}'s first block. */
    long rowOffset(int row) {
        return row * rowBytes;
    }

    /**
     * Widens row {@code row} into {@code dst[0..cols)}: every {@link #hasFusedDot} format in vector
     * registers, any other through core's reference dequantizer.
     */
    void widenRow(int row, float[] dst, int dstOffset) {
        long at = rowOffset(row);
        switch (hasFusedDot() ? type : GgmlType.I8) {
            case F32 -> Kernels.widenF32(data, at, cols, dst, dstOffset);
            case F16 -> Kernels.widenF16(data, at, cols, dst, dstOffset);
            case BF16 -> Kernels.widenBF16(data, at, cols, dst, dstOffset);
            case Q8_0 -> Kernels.widenQ8_0(data, at, cols, dst, dstOffset);
            case Q4_0 -> Kernels.widenQ4_0(data, at, cols, dst, dstOffset);
            case Q4_1 -> Kernels.widenQ4_1(data, at, cols, dst, dstOffset);
            case Q5_0 -> Kernels.widenQ5_0(data, at, cols, dst, dstOffset);
            case Q5_1 -> Kernels.widenQ5_1(data, at, cols, dst, dstOffset);
            case Q4_K -> Kernels.widenQ4_K(data, at, cols, dst, dstOffset);
            case Q5_K -> Kernels.widenQ5_K(data, at, cols, dst, dstOffset);
            case Q6_K -> Kernels.widenQ6_K(data, at, cols, dst, dstOffset);
            default -> type.dequantize(data.asSlice(at, rowBytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN),
                    cols / type.blockSize(), dst, dstOffset, name);
        }
    }

    /** Whether {@link #dot} reads the blocks in registers rather than through a widened row. */
    boolean hasFusedDot() {
        return Kernels.VECTORIZED && switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Whether {@link #dot4} has a kernel for this type; others widen the row once per window. */
    boolean hasFourRowDot() {
        return Kernels.VECTORIZED && switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Row {@code row} against window rows {@code r..r+3} of {@code x (rows, cols)}, into {@code out[o + k * outStride]}. */
    void dot4(int row, float[] x, int r, float[] out, int o, int outStride) {
        long at = rowOffset(row);
        switch (type) {
            case Q4_1 -> Kernels.dot4Q4_1(data, at, cols, x, r, out, o, outStride);
            case Q8_0 -> Kernels.dot4Q8_0(data, at, cols, x, r, out, o, outStride);
            case Q4_0 -> Kernels.dot4Q4_0(data, at, cols, x, r, out, o, outStride);
            case Q5_0 -> Kernels.dot4Q5_0(data, at, cols, x, r, out, o, outStride);
            case Q5_1 -> Kernels.dot4Q5_1(data, at, cols, x, r, out, o, outStride);
            case Q5_K -> Kernels.dot4Q5_K(data, at, cols, x, r, out, o, outStride);
            case Q4_K -> Kernels.dot4Q4_K(data, at, cols, x, r, out, o, outStride);
            case Q6_K -> Kernels.dot4Q6_K(data, at, cols, x, r, out, o, outStride);
            default -> throw new IllegalStateException(type + " has no four-row dot; widen the row");
        }
    }

    /** Whether {@link #dot} reads the 32-element block sums of x ({@link Kernels#blockSums}): the minimums' term. */
    boolean readsBlockSums() {
        return switch (type) {
            case Q4_1, Q5_1, Q4_K, Q5_K -> true;
            default -> false;
        };
    }

    /**
     * Row {@code row} dotted with {@code x[xOffset .. xOffset + cols)}; {@link #hasFusedDot} types
     * only. {@code sums[sumOffset ..]} holds that stretch of x's block sums where {@link #readsBlockSums}.
     */
    float dot(int row, float[] x, int xOffset, float[] sums, int sumOffset) {
        long at = rowOffset(row);
        return switch (type) {
            case F32 -> Kernels.dotF32(data, at, cols, x, xOffset);
            case Q8_0 -> Kernels.dotQ8_0(data, at, cols, x, xOffset);
            case Q4_0 -> Kernels.dotQ4_0(data, at, cols, x, xOffset);
            case Q4_1 -> Kernels.dotQ4_1(data, at, cols, x, xOffset, sums, sumOffset);
            case F16 -> Kernels.dotF16(data, at, cols, x, xOffset);
            case BF16 -> Kernels.dotBF16(data, at, cols, x, xOffset);
            case Q5_0 -> Kernels.dotQ5_0(data, at, cols, x, xOffset);
            case Q5_1 -> Kernels.dotQ5_1(data, at, cols, x, xOffset, sums, sumOffset);
            case Q4_K -> Kernels.dotQ4_K(data, at, cols, x, xOffset, sums, sumOffset);
            case Q5_K -> Kernels.dotQ5_K(data, at, cols, x, xOffset, sums, sumOffset);
            case Q6_K -> Kernels.dotQ6_K(data, at, cols, x, xOffset);
            default -> throw new IllegalStateException(type + " has no fused dot; widen the row");
        };
    }
}
