package dev.mirrorsd.core.format.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The eight 6-bit scales and minimums of a Q4_K or Q5_K super-block, packed in its twelve scale
 * bytes (ggml's {@code get_scale_min_k4}): pairs 0..3 in the low six bits of bytes 0..3 (scales)
 * and 4..7 (minimums); pairs 4..7 in the nibbles of bytes 8..11, their top two bits in the top
 * bits of bytes 0..7. Core's reference dequantizer and the java engine's kernels both read them
 * here.
 */
public final class KQuantScales {
    private KQuantScales() {
    }

    /** Scale {@code j} (0..7) of the twelve bytes at {@code scales}. */
    public static int scale(MemorySegment data, long scales, int j) {
        return j < 4 ? data.get(ValueLayout.JAVA_BYTE, scales + j) & 63
                : (data.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 0x0F)
                        | (((data.get(ValueLayout.JAVA_BYTE, scales + j - 4) & 0xFF) >>> 6) << 4);
    }

    /** Minimum {@code j} (0..7) of the twelve bytes at {@code scales}. */
    public static int min(MemorySegment data, long scales, int j) {
        return j < 4 ? data.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 63
                : ((data.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 0xFF) >>> 4)
                        | (((data.get(ValueLayout.JAVA_BYTE, scales + j) & 0xFF) >>> 6) << 4);
    }
}
