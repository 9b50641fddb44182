package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

/**
 * One KV cache of an {@link AotiCausalLM}: a single device tensor
 * {@code (layers, 2, kv_heads, capacity, head_dim)} in the model's compute dtype, written in place
 * by the graphs. Window row r of a pass lands in slot {@code length() + r}; {@link #compact} moves
 * kept rows down on the device. Not thread-safe.
 */
final class AotiSequence implements Sequence {

    private final AotiCausalLM model;
    private final ModelConfig config;
    private final int capacity;
    private final DeviceTensor cache; // (layers, 2, kv_heads, slots, head_dim)
    private final int slots;          // the cache's slots: capacity, or max_context for the graph owner
    private final boolean graphed;    // this sequence owns the model's CUDA graphs and their cache
    private int length;
    private AotiForwardPass openPass;
    private boolean closed;

    AotiSequence(AotiCausalLM model, int capacity) {
        this.model = model;
        this.config = model.config();
        this.capacity = capacity;
        DeviceTensor shared = model.claimGraphs(this);
        this.graphed = shared != null;
        this.slots = graphed ? model.manifest().maxContext() : capacity;
        this.cache = graphed ? shared : DeviceTensor.empty(model.stream(), model.manifest().dtypeCode(),
                config.numLayers(), 2, config.numKvHeads(), capacity, config.headDim());
    }

    /** Whether windows of up to {@link AotiCausalLM#graphWindow} rows replay CUDA graphs. */
    boolean graphed() {
        return graphed;
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
        requireOpen();
        if (openPass != null) {
            throw new IllegalStateException("a forward pass is still open on this sequence; close it first");
        }
        if (window.size() > model.manifest().maxWindow()) {
            throw new IllegalArgumentException("window of " + window.size() + " rows exceeds the exported limit "
                    + model.manifest().maxWindow() + " (--max-window)");
        }
        if (length + window.size() > capacity) {
            throw new IllegalStateException("window of " + window.size() + " after " + length
                    + " cached positions exceeds the capacity " + capacity);
        }
        openPass = new AotiForwardPass(model, this, window);
        return openPass;
    }

    DeviceTensor cache() {
        return cache;
    }

    /** The pass ran its last layer: the window's rows are now cached. */
    void committed(int rows) {
        length += rows;
    }

    void passClosed(AotiForwardPass pass) {
        if (openPass == pass) {
            openPass = null;
        }
    }

    @Override
    public void truncate(int newLength) {
        requireOpen();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    @Override
    public void compact(int base, int[] keptRows) {
        requireOpen();
        if (base < 0 || base > length) {
            throw new IllegalArgumentException("base " + base + " outside [0, " + length + "]");
        }
        int previous = -1;
        for (int row : keptRows) {
            if (row <= previous || base + row >= length) {
                throw new IllegalArgumentException("kept rows must ascend and lie below " + (length - base) + ": "
                        + java.util.Arrays.toString(keptRows));
            }
            previous = row;
        }
        // slot p of every layer, K and V: (layers * 2 * kv_heads, head_dim), stride capacity * head_dim
        long heads = (long) config.numLayers() * 2 * config.numKvHeads();
        long hd = config.headDim();
        long[] sizes = {heads, hd};
        long[] strides = {slots * hd, 1};
        for (int i = 0; i < keptRows.length; i++) {
            if (keptRows[i] != i) {
                try (DeviceTensor dst = cache.view(sizes, strides, (base + i) * hd);
                     DeviceTensor src = cache.view(sizes, strides, (long) (base + keptRows[i]) * hd)) {
                    dst.copyFrom(src);
                }
            }
        }
        length = base + keptRows.length;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("sequence is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (openPass != null) {
                openPass.close();
            }
            if (graphed) {
                model.releaseGraphs(this); // the cache stays with the model for the next owner
            } else {
                cache.close();
            }
        }
    }
}
