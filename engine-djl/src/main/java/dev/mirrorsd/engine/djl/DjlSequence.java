package dev.mirrorsd.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.GuardedSequence;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Window;

import java.util.Arrays;

/**
 * A preallocated KV cache on the model's device: per layer, keys and values of shape
 * {@code (kvHeads, capacity + 1, headDim)}. Not thread-safe.
 */
final class DjlSequence extends GuardedSequence {
    private final DjlCausalLM model;
    private final NDManager manager;
    private final NDArray[] keys;   // per layer (kvHeads, capacity + 1, headDim)
    private final NDArray[] values; // per layer (kvHeads, capacity + 1, headDim)

    DjlSequence(DjlCausalLM model, NDManager manager, int capacity) {
        super(capacity);
        this.model = model;
        this.manager = manager;
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
    protected ForwardPass openPass(Window window) {
        return new DjlForwardPass(model, this, manager.newSubManager(), window);
    }

    /** The pass ran its last layer: the window's rows are now cached. */
    void passCommitted(int rows) {
        committed(rows);
    }

    void passEnded(ForwardPass pass) {
        passClosed(pass);
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    @Override
    protected void moveRows(int base, int[] keptRows) {
        ModelConfig c = model.config();
        int kvHeads = c.numKvHeads();
        int headDim = c.headDim();
        try (NDManager scope = manager.newSubManager()) {
            // torch.gather wants an index of the output's full shape: (kvHeads, kept, headDim)
            long[] source = new long[kvHeads * keptRows.length * headDim];
            for (int h = 0; h < kvHeads; h++) {
                for (int i = 0; i < keptRows.length; i++) {
                    Arrays.fill(source, (h * keptRows.length + i) * headDim,
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

    @Override
    protected void release() {
        manager.close();
    }
}
