package dev.mirrorsd.engine.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One sequence's keys and values in host memory, laid out exactly as the ONNX graph's
 * {@code past_key.{i}} inputs want them: per layer {@code (kv_heads, length, head_dim)}, packed,
 * in a native-order direct buffer with room for {@code capacity} positions. The graph reads the
 * buffers in place (no copy on input); its {@code present} outputs replace them after a run.
 * Truncating or compacting moves rows inside the buffers; nothing is recomputed. Not thread-safe.
 */
final class PackedKvCache {

    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final FloatBuffer[] keys;   // per layer (kv_heads, length, head_dim), room for capacity
    private final FloatBuffer[] values; // per layer (kv_heads, length, head_dim), room for capacity
    private int length;

    PackedKvCache(int layers, int kvHeads, int headDim, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        long floats = (long) kvHeads * capacity * headDim;
        if (floats * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("capacity " + capacity + " needs " + floats * Float.BYTES
                    + " bytes per layer tensor; at most " + Integer.MAX_VALUE + " fit one buffer");
        }
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        this.keys = new FloatBuffer[layers];
        this.values = new FloatBuffer[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = allocate((int) floats);
            values[l] = allocate((int) floats);
        }
    }

    private static FloatBuffer allocate(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    int length() {
        return length;
    }

    int capacity() {
        return capacity;
    }

    /** The cached keys of {@code layer}, {@code (kv_heads, length, head_dim)}; a view, not a copy. */
    FloatBuffer keys(int layer) {
        return keys[layer].slice(0, kvHeads * length * headDim);
    }

    /** The cached values of {@code layer}, {@code (kv_heads, length, head_dim)}; a view, not a copy. */
    FloatBuffer values(int layer) {
        return values[layer].slice(0, kvHeads * length * headDim);
    }

    /**
     * Replaces every layer with the graph's present tensors, each {@code (kv_heads, newLength, head_dim)}
     * packed: the old positions followed by the window's.
     */
    void replace(FloatBuffer[] presentKeys, FloatBuffer[] presentValues, int newLength) {
        if (newLength > capacity) {
            throw new IllegalStateException("cache of capacity " + capacity + " cannot hold " + newLength + " positions");
        }
        int floats = kvHeads * newLength * headDim;
        for (int l = 0; l < layers; l++) {
            copyInto(keys[l], presentKeys[l], floats, l);
            copyInto(values[l], presentValues[l], floats, l);
        }
        length = newLength;
    }

    private static void copyInto(FloatBuffer cache, FloatBuffer present, int floats, int layer) {
        if (present.remaining() != floats) {
            throw new IllegalStateException("layer " + layer + " present tensor holds " + present.remaining()
                    + " floats, expected " + floats);
        }
        cache.put(0, present, present.position(), floats);
    }

    /** Drops every position from {@code newLength} on. */
    void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate " + length + " cached positions to " + newLength);
        }
        for (int l = 0; l < layers; l++) {
            repack(keys[l], length, newLength);
            repack(values[l], length, newLength);
        }
        length = newLength;
    }

    /** Keeps rows {@code base + keptRows[i]} at {@code base + i}; drops the rest past {@code base}. */
    void compact(int base, int[] keptRows) {
        if (base < 0 || base > length) {
            throw new IllegalArgumentException("compact base " + base + " outside [0, " + length + "]");
        }
        for (int i = 0; i < keptRows.length; i++) {
            if (keptRows[i] < i || base + keptRows[i] >= length || (i > 0 && keptRows[i] <= keptRows[i - 1])) {
                throw new IllegalArgumentException("kept rows must ascend within the " + (length - base)
                        + " positions past base " + base + ", got row " + keptRows[i] + " at index " + i);
            }
        }
        for (int l = 0; l < layers; l++) {
            moveRows(keys[l], base, keptRows);
            moveRows(values[l], base, keptRows);
        }
        truncate(base + keptRows.length);
    }

    // rows ascend and keptRows[i] >= i, so each move goes down onto a row already read
    private void moveRows(FloatBuffer buffer, int base, int[] keptRows) {
        for (int h = 0; h < kvHeads; h++) {
            int head = h * length * headDim;
            for (int i = 0; i < keptRows.length; i++) {
                if (keptRows[i] != i) {
                    buffer.put(head + (base + i) * headDim, buffer, head + (base + keptRows[i]) * headDim, headDim);
                }
            }
        }
    }

    // (kv_heads, oldLength, head_dim) -> (kv_heads, newLength, head_dim), newLength <= oldLength
    private void repack(FloatBuffer buffer, int oldLength, int newLength) {
        for (int h = 1; h < kvHeads; h++) {
            buffer.put(h * newLength * headDim, buffer, h * oldLength * headDim, newLength * headDim);
        }
    }
}
