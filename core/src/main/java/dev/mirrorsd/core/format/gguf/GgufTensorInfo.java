package dev.mirrorsd.core.format.gguf;

import java.util.Arrays;

/**
 * One tensor's entry in a GGUF file's tensor table.
 *
 * @param name       the tensor's GGUF name ({@code blk.0.attn_q.weight})
 * @param ggufDims   dimensions as GGUF lists them, innermost (contiguous) first
 * @param type       element type
 * @param dataOffset byte offset of its data from the start of the file's data section
 */
public record GgufTensorInfo(String name, long[] ggufDims, GgmlType type, long dataOffset) {

    public GgufTensorInfo {
        ggufDims = ggufDims.clone();
    }

    @Override
    public long[] ggufDims() {
        return ggufDims.clone();
    }

    /** Dimensions in PyTorch order, outermost first: GGUF's reversed. */
    public long[] shape() {
        long[] shape = new long[ggufDims.length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = ggufDims[ggufDims.length - 1 - i];
        }
        return shape;
    }

    public long elementCount() {
        long n = 1;
        for (long d : ggufDims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes of data in the file (before alignment padding). */
    public long byteSize() {
        return type.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(ggufDims, t.ggufDims)
                && type == t.type && dataOffset == t.dataOffset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(ggufDims);
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape()) + " @" + dataOffset;
    }
}
