package dev.mirrorsd.core.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One KV cache of an {@link OnnxCausalLM}, held in host memory ({@link PackedKvCache}). A forward
 * pass feeds the cache, the window and a mask built from the window's tree to the graph, then
 * takes the graph's present K/V as the new cache. Not thread-safe.
 */
final class OnnxSequence implements Sequence {

    private final OnnxCausalLM model;
    private final OnnxSidecar names;
    private final ModelConfig config;
    private final PackedKvCache cache;
    private OnnxForwardPass openPass;
    private boolean closed;

    OnnxSequence(OnnxCausalLM model, int capacity) {
        this.model = model;
        this.names = model.sidecar();
        this.config = names.config();
        this.cache = new PackedKvCache(config.numLayers(), config.numKvHeads(), config.headDim(), capacity);
    }

    @Override
    public int length() {
        return cache.length();
    }

    @Override
    public int capacity() {
        return cache.capacity();
    }

    @Override
    public ForwardPass begin(Window window) {
        requireOpen();
        if (openPass != null) {
            throw new IllegalStateException("a forward pass is still open on this sequence; close it first");
        }
        if (cache.length() + window.size() > cache.capacity()) {
            throw new IllegalStateException("window of " + window.size() + " after " + cache.length()
                    + " cached positions exceeds the capacity " + cache.capacity());
        }
        openPass = new OnnxForwardPass(this, window, config.numLayers(), config.vocabSize());
        return openPass;
    }

    void passClosed(OnnxForwardPass pass) {
        if (openPass == pass) {
            openPass = null;
        }
    }

    /** Runs the whole graph over {@code window}; appends its K/V; returns logits {@code (window, vocab)}. */
    float[] run(Window window) {
        requireOpen();
        OrtEnvironment env = model.environment();
        int past = cache.length();
        int rows = window.size();
        int layers = config.numLayers();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            // window tokens, positions and tree mask
            inputs.put(names.inputIds(), OnnxTensor.createTensor(env, LongBuffer.wrap(toLongs(window.tokens())),
                    new long[] {1, rows}));
            inputs.put(names.positionIds(), OnnxTensor.createTensor(env, LongBuffer.wrap(toLongs(window.positions())),
                    new long[] {1, rows}));
            inputs.put(names.attentionMask(), OnnxTensor.createTensor(env, FloatBuffer.wrap(mask(window, past)),
                    new long[] {1, 1, rows, past + rows}));
            // the cache, read in place
            long[] pastShape = {1, config.numKvHeads(), past, config.headDim()};
            for (int l = 0; l < layers; l++) {
                inputs.put(names.pastKeys().get(l), OnnxTensor.createTensor(env, cache.keys(l), pastShape));
                inputs.put(names.pastValues().get(l), OnnxTensor.createTensor(env, cache.values(l), pastShape));
            }
            try (OrtSession.Result result = model.session().run(inputs)) {
                // logits of every row
                float[] logits = new float[rows * config.vocabSize()];
                tensor(result, names.logits()).getFloatBuffer().get(logits);
                // present K/V become the cache
                FloatBuffer[] keys = new FloatBuffer[layers];
                FloatBuffer[] values = new FloatBuffer[layers];
                for (int l = 0; l < layers; l++) {
                    keys[l] = tensor(result, names.presentKeys().get(l)).getFloatBuffer();
                    values[l] = tensor(result, names.presentValues().get(l)).getFloatBuffer();
                }
                cache.replace(keys, values, past + rows);
                return logits;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime run failed for " + window + " after " + past
                    + " cached positions: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor tensor(OrtSession.Result result, String name) {
        OnnxValue value = result.get(name).orElseThrow(() -> new IllegalStateException("graph output " + name + " missing"));
        return (OnnxTensor) value;
    }

    /** Additive mask {@code (window, past + window)}: every cached position, then the row's ancestor path. */
    private float[] mask(Window window, int past) {
        int rows = window.size();
        int width = past + rows;
        float[] mask = new float[rows * width];
        int[] parents = window.parents();
        for (int r = 0; r < rows; r++) {
            Arrays.fill(mask, r * width + past, (r + 1) * width, names.maskedValue());
            for (int a = r; a >= 0; a = parents[a]) {
                mask[r * width + past + a] = 0f;
            }
        }
        return mask;
    }

    private static long[] toLongs(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    @Override
    public void truncate(int length) {
        requireIdle();
        cache.truncate(length);
    }

    @Override
    public void compact(int base, int[] keptRows) {
        requireIdle();
        cache.compact(base, keptRows);
    }

    private void requireIdle() {
        requireOpen();
        if (openPass != null) {
            throw new IllegalStateException("cannot edit the cache while a forward pass is open");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("sequence is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        openPass = null;
    }
}
