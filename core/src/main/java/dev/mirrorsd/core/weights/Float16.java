package dev.mirrorsd.core.weights;

/**
 * IEEE 754 half precision (binary16) and bfloat16 to fp32. Java 17 has no
 * {@code Float.float16ToFloat}; every half is widened exactly (subnormals, infinities and NaN
 * included), through a 65,536-entry table built once.
 */
public final class Float16 {
    private static final float[] HALF_TO_FLOAT = buildTable();

    private Float16() {
    }

    /** The fp32 value of the binary16 bits {@code half}. */
    public static float halfToFloat(short half) {
        return HALF_TO_FLOAT[half & 0xffff];
    }

    /** The fp32 value of the bfloat16 bits {@code bf16}: its bits are fp32's upper half. */
    public static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    private static float[] buildTable() {
        float[] table = new float[1 << 16];
        for (int bits = 0; bits < table.length; bits++) {
            table[bits] = convert(bits);
        }
        return table;
    }

    private static float convert(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            // infinity or NaN: keep the payload
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in fp32
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        // normal: rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
