package dev.mirrorsd.core.format.safetensors;

import java.util.Arrays;

/**
 * One tensor as a safetensors header describes it.
 *
 * @param name       tensor name ({@code model.layers.0.self_attn.q_proj.weight})
 * @param dtype      element type on disk
 * @param shape      dimensions, outermost first
 * @param beginBytes offset of the first byte, relative to the start of the data section
 * @param endBytes   offset one past the last byte, relative to the start of the data section
 */
public record SafetensorsEntry(String name, SafetensorsDtype dtype, long[] shape, long beginBytes, long endBytes) {

    public SafetensorsEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements, {@code product(shape)}. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long sizeBytes() {
        return endBytes - beginBytes;
    }

    @Override
    public String toString() {
        return name + ":" + dtype + Arrays.toString(shape);
    }
}
