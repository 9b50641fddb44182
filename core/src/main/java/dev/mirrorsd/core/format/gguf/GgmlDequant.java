package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.weights.Float16;
import java.nio.ByteBuffer;

/**
 * ggml's reference dequantization (ggml-quants.c {@code dequantize_row_*}) for the block types the
 * loader supports. Each method reads {@code blocks} blocks from {@code src}'s position on and
 * writes {@code blocks * blockSize} floats. The arithmetic is float, in ggml's order, so the
 * results equal ggml's and gguf-py's bit for bit.
 */
final class GgmlDequant {
    private GgmlDequant() {
    }

    static void f32(ByteBuffer src, int blocks, float[] dst, int off) {
        src.asFloatBuffer().get(dst, off, blocks);
    }

    static void f16(ByteBuffer src, int blocks, float[] dst, int off) {
        int base = src.position();
        for (int i = 0; i < blocks; i++) {
            dst[off + i] = Float16.halfToFloat(src.getShort(base + 2 * i));
        }
    }

    static void bf16(ByteBuffer src, int blocks, float[] dst, int off) {
        int base = src.position();
        for (int i = 0; i < blocks; i++) {
            dst[off + i] = Float16.bfloat16ToFloat(src.getShort(base + 2 * i));
        }
    }

    /** Block of 32: f16 scale d, then 32 int8 q; value = q * d. */
    static void q8_0(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        for (int i = 0; i < blocks; i++, b += 34, off += 32) {
            float d = Float16.halfToFloat(src.getShort(b));
            for (int j = 0; j < 32; j++) {
                dst[off + j] = src.get(b + 2 + j) * d;
            }
        }
    }

    /**
     * Block of 32: f16 scale d, then 16 bytes; byte j holds element j in its low nibble and element
     * j + 16 in its high nibble; value = (nibble - 8) * d.
     */
    static void q4_0(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        for (int i = 0; i < blocks; i++, b += 18, off += 32) {
            float d = Float16.halfToFloat(src.getShort(b));
            for (int j = 0; j < 16; j++) {
                int q = src.get(b + 2 + j) & 0xFF;
                dst[off + j] = ((q & 0x0F) - 8) * d;
                dst[off + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    /** Block of 32: f16 scale d, f16 minimum m, then 16 bytes as in Q4_0; value = nibble * d + m. */
    static void q4_1(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        for (int i = 0; i < blocks; i++, b += 20, off += 32) {
            float d = Float16.halfToFloat(src.getShort(b));
            float m = Float16.halfToFloat(src.getShort(b + 2));
            for (int j = 0; j < 16; j++) {
                int q = src.get(b + 4 + j) & 0xFF;
                dst[off + j] = (q & 0x0F) * d + m;
                dst[off + j + 16] = (q >>> 4) * d + m;
            }
        }
    }
}
