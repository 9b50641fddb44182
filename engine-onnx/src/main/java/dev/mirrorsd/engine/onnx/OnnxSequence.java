package dev.mirrorsd.engine.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.GuardedSequence;
import dev.mirrorsd.core.model.ModelConfig;
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
final class OnnxSequence extends GuardedSequence {

    private final OnnxCausalLM model;
    private final OnnxSidecar names;
    private final ModelConfig config;
    private final PackedKvCache cache;

    OnnxSequence(OnnxCausalLM model, int capacity) {
        super(capacity);
        this.model = model;
        this.names = model.sidecar();
        this.config = names.config();
        this.cache = new PackedKvCache(config.numLayers(), config.numKvHeads(), config.headDim(), capacity);
    }

    @Override
    protected ForwardPass openPass(Window window) {
        return new OnnxForwardPass(this, window, config.numLayers(), names.exitLogits().keySet());
    }

    int multiTokenHeads() {
        return names.mtpHeads();
    }

    void passEnded(OnnxForwardPass pass) {
        passClosed(pass);
    }

    /**
     * What one run of the graph gave, held until the pass commits it.
     *
     * @param logits     {@code (window, logitsWidth)} after every layer
     * @param mtpLogits  {@code (window, mtpHeads, logitsWidth)} of the multi-token heads, or null
     * @param exitLogits {@code (window, logitsWidth)} early-exit proxies, by layers run
     * @param keys       per layer {@code (kv_heads, newLength, head_dim)}: the cache, then the window
     * @param values     as keys
     * @param newLength  cached positions once committed
     */
    record GraphOutput(float[] logits, float[] mtpLogits, Map<Integer, float[]> exitLogits, FloatBuffer[] keys, FloatBuffer[] values,
                       int newLength) {
    }

    /** Runs the whole graph over {@code window}; the cache is unchanged until {@link #commit}. */
    GraphOutput run(Window window) {
        OrtEnvironment env = model.environment();
        int past = length();
        int rows = window.size();
        int layers = config.numLayers();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            // window tokens, positions and tree mask
            if (names.takesEmbeddings()) {
                inputs.put(names.inputsEmbeds(), OnnxTensor.createTensor(env, FloatBuffer.wrap(embed(window.tokens())),
                        new long[] {1, rows, config.hiddenSize()}));
            } else {
                inputs.put(names.inputIds(), OnnxTensor.createTensor(env, LongBuffer.wrap(toLongs(window.tokens())),
                        new long[] {1, rows}));
            }
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
                float[] logits = floats(result, names.logits(), rows);
                float[] mtp = names.mtpLogits() == null ? null
                        : floats(result, names.mtpLogits(), rows * names.mtpHeads());
                Map<Integer, float[]> exits = new HashMap<>();
                for (Map.Entry<Integer, String> exit : names.exitLogits().entrySet()) {
                    exits.put(exit.getKey(), floats(result, exit.getValue(), rows));
                }
                // present K/V: the cache to be
                FloatBuffer[] keys = new FloatBuffer[layers];
                FloatBuffer[] values = new FloatBuffer[layers];
                for (int l = 0; l < layers; l++) {
                    keys[l] = tensor(result, names.presentKeys().get(l)).getFloatBuffer();
                    values[l] = tensor(result, names.presentValues().get(l)).getFloatBuffer();
                }
                return new GraphOutput(logits, mtp, exits, keys, values, past + rows);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime run failed for " + window + " after " + past
                    + " cached positions: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Appends the window's K/V of a finished run. */
    void commit(GraphOutput output) {
        int grown = output.newLength() - length();
        cache.replace(output.keys(), output.values(), output.newLength());
        committed(grown);
    }

    private float[] floats(OrtSession.Result result, String name, int rows) {
        FloatBuffer buffer = tensor(result, name).getFloatBuffer();
        float[] out = new float[rows * names.logitsWidth()];
        if (buffer.remaining() != out.length) {
            throw new IllegalStateException("graph output " + name + " holds " + buffer.remaining() + " floats, expected "
                    + rows + " x " + names.logitsWidth() + " (logits_width " + names.logitsWidth() + ")");
        }
        buffer.get(out);
        return out;
    }

    /** The rows of the input embedding for {@code tokens}, {@code (tokens, hidden)}. */
    private float[] embed(int[] tokens) {
        float[] embedding = model.embedding();
        int hidden = config.hiddenSize();
        float[] out = new float[tokens.length * hidden];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token " + tokens[i] + " outside the embedding's "
                        + config.vocabSize() + " rows");
            }
            System.arraycopy(embedding, tokens[i] * hidden, out, i * hidden, hidden);
        }
        return out;
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
    protected void dropFrom(int newLength) {
        cache.truncate(newLength);
    }

    @Override
    protected void moveRows(int base, int[] keptRows) {
        cache.compact(base, keptRows);
    }

    @Override
    protected void release() {
        // host arrays: the garbage collector frees them
    }
}
