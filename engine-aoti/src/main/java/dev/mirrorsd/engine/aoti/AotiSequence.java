package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.GuardedSequence;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Window;

/**
 * One KV cache of an {@link AotiCausalLM}: a single device tensor
 * {@code (layers, 2, kv_heads, capacity, head_dim)} in the model's compute dtype, written in place
 * by the graphs. Window row r of a pass lands in slot {@code length() + r}; {@link #compact} moves
 * kept rows down on the device. Not thread-safe.
 */
final class AotiSequence extends GuardedSequence {

    private final AotiCausalLM model;
    private final ModelConfig config;
    private final DeviceTensor cache; // (layers, 2, kv_heads, slots, head_dim)
    private final int slots;          // the cache's slots: capacity, or max_context for the graph owner
    private final boolean graphed;    // this sequence owns the model's CUDA graphs and their cache

    AotiSequence(AotiCausalLM model, int capacity) {
        super(capacity);
        this.model = model;
        this.config = model.config();
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
    protected ForwardPass openPass(Window window) {
        if (window.size() > model.manifest().maxWindow()) {
            throw new IllegalArgumentException("window of " + window.size() + " rows exceeds the exported limit "
                    + model.manifest().maxWindow() + " (--max-window)");
        }
        return new AotiForwardPass(model, this, window);
    }

    DeviceTensor cache() {
        return cache;
    }

    /** The pass ran its last layer: the window's rows are now cached. */
    void passCommitted(int rows) {
        committed(rows);
    }

    void passEnded(AotiForwardPass pass) {
        passClosed(pass);
    }

    @Override
    protected void moveRows(int base, int[] keptRows) {
        // slot p of every layer, K and V: (layers * 2 * kv_heads, head_dim), stride slots * head_dim
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
    }

    @Override
    protected void release() {
        if (graphed) {
            model.releaseGraphs(this); // the cache stays with the model for the next owner
        } else {
            cache.close();
        }
    }
}
