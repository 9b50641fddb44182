package dev.mirrorsd.core.format.safetensors;

/**
 * Element types a safetensors header may name, with their width. Only {@link #F32}, {@link #F16}
 * and {@link #BF16} can be read as weights; the others are known so that a header naming them still
 * validates (offsets are checked against their width) and the error comes when one is read.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether tensors of this type can be widened to fp32 weights. */
    public boolean isFloatWeight() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The type named in a header, or null if the name is not a safetensors dtype. */
    static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }
}
