package dev.mirrorsd.core.format.gguf;

/**
 * Half-precision and bfloat16 to float conversions. Written out because the target is Java 17
 * ({@code Float.float16ToFloat} arrived in Java 20).
 */
final class Float16 {
    private Float16() {
    }

    /** IEEE 754 binary16 (the low 16 bits of {@code bits}) to float, exactly: every half is a float. */
    static float toFloat(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            // infinity or NaN; keep the NaN payload in the top mantissa bits
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign); // signed zero
            }
            // subnormal half: mantissa * 2^-24, exact in float
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // normal: rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** bfloat16 (the low 16 bits of {@code bits}) to float: it is the float's top half. */
    static float bf16ToFloat(int bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
