package dev.mirrorsd.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

/**
 * A preallocated KV cache on the model's device: per layer, keys and values of shape
 * {@code (kvHeads, capacity + 1, headDim)}. Not thread-safe.
 */
final class DjlSequence implements Sequence {
    private final DjlCausalLM model;
    private final NDManager manager;
    private final NDArray[] keys;   // per layer (kvHeads, capacity + 1, headDim)
    private final NDArray[] values; // per layer (kvHeads, capacity + 1, headDim)
    private final int capacity;
    private int length;
    private boolean passOpen;

    DjlSequence(DjlCausalLM model, NDManager manager, int capacity) {
        this.model = model;
        this.manager = manager;
        this.capacity = capacity;
        ModelConfig c = model.config();
        // one slot more than the capacity: the twin row of a one-token window writes there
        Shape shape = new Shape(c.numKvHeads(), capacity + 1L, c.headDim());
        keys = new NDArray[c.numLayers()];
        values = new NDArray[c.numLayers()];
        for (int l = 0; l < c.numLayers(); l++) {
            keys[l] = manager.zeros(shape, DataType.FLOAT32);
            values[l] = manager.zeros(shape, DataType.FLOAT32);
        }
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public ForwardPass begin(Window window) {
        if (passOpen) {
            throw new IllegalStateException("a forward pass is already open on this sequence");
        }
        if (length + window.size() > capacity) {
            throw new IllegalArgumentException("window of " + window.size() + " after " + length
                    + " cached positions exceeds the sequence capacity " + capacity);
        }
        passOpen = true;
        return new DjlForwardPass(model, this, manager.newSubManager(), window);
    }

    /** Called by a pass that ran every layer (grow) or was closed (release). */
    void endPass(int grownBy) {
        length += grownBy;
        passOpen = false;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    @Override
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength; // positions past length are never read: the next window overwrites them
    }

    @Override
    public void compact(int base, int[] keptRows) {
        if (base < 0 || base > length) {
            throw new IllegalArgumentException("compaction base " + base + " outside [0, " + length + "]");
        }
        boolean identity = true;
        for (int i = 0; i < keptRows.length; i++) {
            if (keptRows[i] < 0 || base + keptRows[i] >= length || (i > 0 && keptRows[i] <= keptRows[i - 1])) {
                throw new IllegalArgumentException("kept rows must ascend inside the cache, got row " + keptRows[i]);
            }
            identity &= keptRows[i] == i;
        }
        if (!identity) {
            ModelConfig c = model.config();
            int kvHeads = c.numKvHeads();
            int headDim = c.headDim();
            try (NDManager scope = manager.newSubManager()) {
                // torch.gather wants an index of the output's full shape: (kvHeads, kept, headDim)
                long[] source = new long[kvHeads * keptRows.length * headDim];
                for (int h = 0; h < kvHeads; h++) {
                    for (int i = 0; i < keptRows.length; i++) {
                        java.util.Arrays.fill(source, (h * keptRows.length + i) * headDim,
                                (h * keptRows.length + i + 1) * headDim, base + keptRows[i]);
                    }
                }
                NDArray index = scope.create(source, new Shape(kvHeads, keptRows.length, headDim));
                NDIndex target = new NDIndex().addAllDim().addSliceDim(base, base + keptRows.length);
                for (int l = 0; l < keys.length; l++) {
                    // results of an op belong to its first operand's manager: close them here
                    try (NDArray k = keys[l].gather(index, 1); NDArray v = values[l].gather(index, 1)) {
                        keys[l].set(target, k);
                        values[l].set(target, v);
                    }
                }
            }
        }
        length = base + keptRows.length;
    }

    @Override
    public void close() {
        manager.close();
    }
}
