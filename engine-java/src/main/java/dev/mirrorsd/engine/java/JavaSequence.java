package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.GuardedSequence;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Window;

/**
 * A KV cache on the Java heap: per layer, values of shape {@code (kvHeads, capacity, headDim)}, so
 * that each head's values stream in order, and keys transposed in tiles of positions, both as
 * {@link Attention} reads them. Keys are stored after RoPE. Not thread-safe.
 */
final class JavaSequence extends GuardedSequence {
    private final JavaCausalLM model;
    private final Attention attention;
    private float[][] keys;   // per layer, transposed: see Attention.keyIndex
    private float[][] values; // per layer (kvHeads, capacity, headDim): see Attention.valueIndex

    JavaSequence(JavaCausalLM model, int capacity) {
        super(capacity);
        this.model = model;
        ModelConfig c = model.config();
        int width = c.numKvHeads() * c.headDim();
        attention = new Attention(c.numHeads(), c.numKvHeads(), c.headDim());
        keys = new float[c.numLayers()][Attention.keysLength(capacity, c.numKvHeads(), c.headDim())];
        values = new float[c.numLayers()][Math.multiplyExact(capacity, width)];
    }

    @Override
    protected ForwardPass openPass(Window window) {
        return new JavaForwardPass(model, this, window);
    }

    void passCommitted(int rows) {
        committed(rows);
    }

    void passEnded(ForwardPass pass) {
        passClosed(pass);
    }

    Attention attention() {
        return attention;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    @Override
    protected void moveRows(int base, int[] keptRows) {
        for (int l = 0; l < keys.length; l++) {
            // keptRows ascend and keptRows[i] >= i, so copying forward never overwrites a row still to move
            for (int i = 0; i < keptRows.length; i++) {
                attention.move(keys[l], values[l], capacity(), base + keptRows[i], base + i);
            }
        }
    }

    @Override
    protected void release() {
        keys = null;
        values = null;
    }
}
