package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The ggml element types a GGUF tensor may have, with ggml's ids and block layout. Every type is
 * named, with its true size, so that a file's tensor offsets can be checked and an error can say
 * which type a tensor has; only {@link #SUPPORTED} ones dequantize.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 2 + 16),
    Q4_1(3, 32, 2 + 2 + 16),
    Q5_0(6, 32, 2 + 4 + 16),
    Q5_1(7, 32, 2 + 2 + 4 + 16),
    Q8_0(8, 32, 2 + 32),
    Q8_1(9, 32, 4 + 4 + 32),
    Q2_K(10, 256, 2 + 2 + 16 + 64),
    Q3_K(11, 256, 2 + 64 + 32 + 12),
    Q4_K(12, 256, 2 + 2 + 128 + 12),
    Q5_K(13, 256, 2 + 2 + 128 + 32 + 12),
    Q6_K(14, 256, 2 + 128 + 64 + 16),
    Q8_K(15, 256, 4 + 256 + 32),
    IQ2_XXS(16, 256, 2 + 64),
    IQ2_XS(17, 256, 2 + 64 + 8),
    IQ3_XXS(18, 256, 2 + 64 + 32),
    IQ1_S(19, 256, 2 + 32 + 16),
    IQ4_NL(20, 32, 2 + 16),
    IQ3_S(21, 256, 2 + 64 + 32 + 8 + 4),
    IQ2_S(22, 256, 2 + 64 + 16),
    IQ4_XS(23, 256, 2 + 2 + 128 + 4),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 32 + 16 + 8),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 2 + 52),
    TQ2_0(35, 256, 2 + 64),
    MXFP4(39, 32, 1 + 16),
    NVFP4(40, 64, 4 + 32),
    Q1_0(41, 128, 2 + 16);

    /** The types {@link #dequantize} handles. */
    public static final List<GgmlType> SUPPORTED = List.of(F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** ggml's numeric id, as stored in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block takes in the file. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean isSupported() {
        return SUPPORTED.contains(this);
    }

    /** Fails unless this type dequantizes; {@code tensor} names the tensor and file for the message. */
    public void requireSupported(String tensor) {
        if (!isSupported()) {
            throw new UnsupportedModelException(tensor + " has ggml type " + this
                    + ", which this loader cannot dequantize; supported: " + SUPPORTED);
        }
    }

    /** Bytes that {@code elements} values take; {@code elements} must be a whole number of blocks. */
    public long byteSize(long elements) {
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The type with ggml id {@code id}; an unknown id is a format error naming {@code where}. */
    public static GgmlType fromId(int id, String where) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new ModelFormatException(where + ": unknown ggml type id " + id);
    }

    /**
     * Widens {@code blocks} blocks read from {@code src} (little-endian, from its position on) into
     * {@code dst[dstOffset ..]}, as ggml's reference dequantizer does.
     *
     * @param tensor the tensor's name and file, for the error an unsupported type raises
     */
    public void dequantize(ByteBuffer src, int blocks, float[] dst, int dstOffset, String tensor) {
        switch (this) {
            case F32 -> GgmlDequant.f32(src, blocks, dst, dstOffset);
            case F16 -> GgmlDequant.f16(src, blocks, dst, dstOffset);
            case BF16 -> GgmlDequant.bf16(src, blocks, dst, dstOffset);
            case Q8_0 -> GgmlDequant.q8_0(src, blocks, dst, dstOffset);
            case Q4_0 -> GgmlDequant.q4_0(src, blocks, dst, dstOffset);
            case Q4_1 -> GgmlDequant.q4_1(src, blocks, dst, dstOffset);
            case Q5_0 -> GgmlDequant.q5_0(src, blocks, dst, dstOffset);
            case Q5_1 -> GgmlDequant.q5_1(src, blocks, dst, dstOffset);
            case Q4_K -> GgmlDequant.q4_K(src, blocks, dst, dstOffset);
            case Q5_K -> GgmlDequant.q5_K(src, blocks, dst, dstOffset);
            case Q6_K -> GgmlDequant.q6_K(src, blocks, dst, dstOffset);
            default -> requireSupported(tensor);
        }
    }
}
