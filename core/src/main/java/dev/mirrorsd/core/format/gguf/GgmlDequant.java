package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.weights.Float16;
import java.lang.foreign.MemorySegment;
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

    /**
     * Block of 32: f16 scale d, a u32 of fifth bits (bit j for element j), then 16 bytes of nibbles
     * as in Q4_0; value = ((nibble | fifth bit << 4) - 16) * d.
     */
    static void q5_0(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        for (int i = 0; i < blocks; i++, b += 22, off += 32) {
            float d = Float16.halfToFloat(src.getShort(b));
            int qh = src.getInt(b + 2);
            for (int j = 0; j < 16; j++) {
                int q = src.get(b + 6 + j) & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[off + j] = (((q & 0x0F) | h0) - 16) * d;
                dst[off + j + 16] = (((q >>> 4) | h1) - 16) * d;
            }
        }
    }

    /** Block of 32: f16 d, f16 m, a u32 of fifth bits, 16 bytes of nibbles; value = (nibble | fifth bit << 4) * d + m. */
    static void q5_1(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        for (int i = 0; i < blocks; i++, b += 24, off += 32) {
            float d = Float16.halfToFloat(src.getShort(b));
            float m = Float16.halfToFloat(src.getShort(b + 2));
            int qh = src.getInt(b + 4);
            for (int j = 0; j < 16; j++) {
                int q = src.get(b + 8 + j) & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[off + j] = ((q & 0x0F) | h0) * d + m;
                dst[off + j + 16] = ((q >>> 4) | h1) * d + m;
            }
        }
    }

    /**
     * Super-block of 256: f16 d, f16 dmin, 12 scale bytes (eight 6-bit scales and minimums, {@link KQuantScales}), 128
     * bytes of nibbles. Each 64 elements take 32 bytes: low nibbles are sub-block 2k, high nibbles
     * sub-block 2k+1; value = d * scale * nibble - dmin * min.
     */
    static void q4_K(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        MemorySegment seg = MemorySegment.ofBuffer(src); // offset 0 is the buffer's position
        for (int i = 0; i < blocks; i++, b += 144) {
            float d = Float16.halfToFloat(src.getShort(b));
            float min = Float16.halfToFloat(src.getShort(b + 2));
            long scales = b - src.position() + 4; // in seg
            int q = b + 16;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
                float d1 = d * KQuantScales.scale(seg, scales, is);
                float m1 = min * KQuantScales.min(seg, scales, is);
                float d2 = d * KQuantScales.scale(seg, scales, is + 1);
                float m2 = min * KQuantScales.min(seg, scales, is + 1);
                for (int l = 0; l < 32; l++) {
                    dst[off++] = d1 * (src.get(q + l) & 0x0F) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    dst[off++] = d2 * ((src.get(q + l) & 0xFF) >>> 4) - m2;
                }
            }
        }
    }

    /**
     * Super-block of 256: f16 d, f16 dmin, 12 scale bytes as Q4_K, 32 bytes of fifth bits, 128 bytes
     * of nibbles. Sub-block pair k takes its fifth bits from bits 2k and 2k+1 of the 32 high bytes.
     */
    static void q5_K(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        MemorySegment seg = MemorySegment.ofBuffer(src); // offset 0 is the buffer's position
        for (int i = 0; i < blocks; i++, b += 176) {
            float d = Float16.halfToFloat(src.getShort(b));
            float min = Float16.halfToFloat(src.getShort(b + 2));
            long scales = b - src.position() + 4; // in seg
            int qh = b + 16;
            int ql = b + 48;
            int u1 = 1;
            int u2 = 2;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
                float d1 = d * KQuantScales.scale(seg, scales, is);
                float m1 = min * KQuantScales.min(seg, scales, is);
                float d2 = d * KQuantScales.scale(seg, scales, is + 1);
                float m2 = min * KQuantScales.min(seg, scales, is + 1);
                for (int l = 0; l < 32; l++) {
                    int h = (src.get(qh + l) & u1) != 0 ? 16 : 0;
                    dst[off++] = d1 * ((src.get(ql + l) & 0x0F) + h) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    int h = (src.get(qh + l) & u2) != 0 ? 16 : 0;
                    dst[off++] = d2 * (((src.get(ql + l) & 0xFF) >>> 4) + h) - m2;
                }
            }
        }
    }

    /**
     * Super-block of 256: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales
     * (one per 16 elements), then f16 d; value = d * scale * (6-bit q - 32).
     */
    static void q6_K(ByteBuffer src, int blocks, float[] dst, int off) {
        int b = src.position();
        for (int i = 0; i < blocks; i++, b += 210, off += 256) {
            float d = Float16.halfToFloat(src.getShort(b + 208));
            int ql = b;
            int qh = b + 128;
            int sc = b + 192;
            for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo = src.get(ql + l) & 0xFF;
                    int hi = src.get(ql + l + 32) & 0xFF;
                    int h = src.get(qh + l) & 0xFF;
                    int q1 = ((lo & 0x0F) | ((h & 3) << 4)) - 32;
                    int q2 = ((hi & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                    int q3 = ((lo >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                    int q4 = ((hi >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                    dst[off + n + l] = d * src.get(sc + is) * q1;
                    dst[off + n + l + 32] = d * src.get(sc + is + 2) * q2;
                    dst[off + n + l + 64] = d * src.get(sc + is + 4) * q3;
                    dst[off + n + l + 96] = d * src.get(sc + is + 6) * q4;
                }
            }
        }
    }
}
