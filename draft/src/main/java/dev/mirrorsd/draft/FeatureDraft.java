package dev.mirrorsd.draft;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.format.safetensors.SafetensorsFile;
import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A feature-conditioned draft after EAGLE-3: one decoder layer that reads, besides the next token's
 * embedding, a hidden state. For positions the target has verified that is the target's own
 * residual stream at a few layers at or below the early-exit layer ({@code feature_layers}), fused
 * by {@code fc}; for the positions it drafts itself, its own output {@code g} of the step before.
 * Token embeddings and the LM head are the target's (the head restricted to the draft vocabulary
 * {@code d2t}), so the file holds only the layer: about 8 MB in fp16. The matrices are held as int8
 * rows by default ({@link Precision}). The format and the training
 * are in docs/design/feature-draft.md.
 *
 * <p>One step at position p, from a hidden state h (the fused target features of position p-1, or
 * the draft's g of p-1) and the token x_p:
 * <pre>
 *   a = [RMSNorm_emb(E[x_p]), RMSNorm_hid(h)]           (2 * hidden)
 *   r = h + o(attention(q(a), k(a), v(a)))               RoPE at p, causal over the draft's cache
 *   g = r + down(silu(gate(n)) * up(n)),  n = RMSNorm_post(r)
 *   logits = H[d2t] . RMSNorm_out(g)                      (draft vocabulary)
 * </pre>
 * The weights are read-only and shared by every request; each request's cache is a {@link State}.
 * This is the draft on the host; an engine may run the same layer on its device
 * ({@link FeatureDraftModel}).
 */
public final class FeatureDraft implements FeatureDraftModel {
    private static final int[] NO_SLOTS = new int[0];

    /** The {@code architecture} that config.json names. */
    public static final String ARCHITECTURE = "feature-draft";

    final int hidden;
    final int heads;
    final int kvHeads;
    final int headDim;
    final int intermediate;
    final int draftVocab;
    final int targetVocab;
    private final int[] featureLayers;
    private final float eps;
    private final float[] invFreq;      // (headDim / 2)

    private final Matrix fc;             // (hidden, featureLayers * hidden)
    private final float[] embNorm;       // (hidden)
    private final float[] hidNorm;       // (hidden)
    private final Matrix wq;             // (heads * headDim, 2 * hidden)
    private final Matrix wk;             // (kvHeads * headDim, 2 * hidden)
    private final Matrix wv;             // (kvHeads * headDim, 2 * hidden)
    private final Matrix wo;             // (hidden, heads * headDim)
    private final float[] postNorm;      // (hidden)
    private final Matrix gate;           // (intermediate, hidden)
    private final Matrix up;             // (intermediate, hidden)
    private final Matrix down;           // (hidden, intermediate)
    private final float[] norm;          // (hidden)
    private final float[] embedding;     // (targetVocab, hidden): the target's, shared
    private final Matrix head;           // (draftVocab, hidden): the target's head rows at d2t
    private final int[] draftToTarget;   // (draftVocab)

    /**
     * How the draft holds its matrices. A draft step reads every weight once for one row, so it
     * runs at the speed of memory: int8 rows stream a quarter of fp32's bytes. Either way the
     * draft's distribution is the one its tokens are drawn from, so output stays lossless; int8
     * may only change which tokens it proposes.
     */
    public enum Precision {
        FLOAT32, INT8
    }

    /** A weight matrix in the draft's precision: {@code out = W x}. */
    private record Matrix(int rows, int cols, float[] fp32, DraftKernels.Int8Rows int8) {
        static Matrix of(float[] w, int rows, int cols, Precision precision) {
            return precision == Precision.INT8 ? new Matrix(rows, cols, null, DraftKernels.Int8Rows.quantize(w, rows, cols))
                    : new Matrix(rows, cols, w, null);
        }

        void times(float[] x, int xOff, float[] out, int outOff) {
            if (int8 != null) {
                DraftKernels.matvec(int8, x, xOff, out, outOff);
            } else {
                DraftKernels.matvec(fp32, rows, cols, x, xOff, out, outOff);
            }
        }
    }

    private FeatureDraft(JsonObject config, SafetensorsFile file, ModelWeights target, Precision precision) {
        ModelConfig targetConfig = target.config();
        hidden = integer(config, "hidden_size");
        heads = integer(config, "num_attention_heads");
        kvHeads = integer(config, "num_key_value_heads");
        headDim = integer(config, "head_dim");
        intermediate = integer(config, "intermediate_size");
        eps = (float) number(config, "rms_norm_eps");
        targetVocab = targetConfig.vocabSize();
        JsonArray layers = config.getAsJsonArray("feature_layers");
        if (layers == null || layers.isEmpty()) {
            throw new ModelFormatException(file.path() + ": config.json names no feature_layers");
        }
        featureLayers = new int[layers.size()];
        for (int i = 0; i < featureLayers.length; i++) {
            featureLayers[i] = layers.get(i).getAsInt();
            if (featureLayers[i] < 1 || featureLayers[i] > targetConfig.numLayers()
                    || (i > 0 && featureLayers[i] <= featureLayers[i - 1])) {
                throw new ModelFormatException(file.path() + ": feature_layers " + layers
                        + " must ascend within the target's " + targetConfig.numLayers() + " layers");
            }
        }
        if (hidden != targetConfig.hiddenSize()) {
            throw new IllegalArgumentException(file.path() + ": the draft reads hidden states of width " + hidden
                    + ", the target's are " + targetConfig.hiddenSize() + ": it was trained for another target");
        }
        if (heads % kvHeads != 0 || headDim % 2 != 0) {
            throw new ModelFormatException(file.path() + ": " + heads + " heads over " + kvHeads
                    + " key/value heads of width " + headDim);
        }
        double theta = number(config, "rope_theta");
        invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = (float) (1.0 / Math.pow(theta, 2.0 * i / headDim));
        }
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        int fused = featureLayers.length * hidden;
        fc = Matrix.of(read(file, "fc.weight", hidden, fused), hidden, fused, precision);
        embNorm = read(file, "layer.input_layernorm.weight", hidden);
        hidNorm = read(file, "layer.hidden_norm.weight", hidden);
        wq = Matrix.of(read(file, "layer.self_attn.q_proj.weight", q, 2L * hidden), q, 2 * hidden, precision);
        wk = Matrix.of(read(file, "layer.self_attn.k_proj.weight", kv, 2L * hidden), kv, 2 * hidden, precision);
        wv = Matrix.of(read(file, "layer.self_attn.v_proj.weight", kv, 2L * hidden), kv, 2 * hidden, precision);
        wo = Matrix.of(read(file, "layer.self_attn.o_proj.weight", hidden, q), hidden, q, precision);
        postNorm = read(file, "layer.post_attention_layernorm.weight", hidden);
        gate = Matrix.of(read(file, "layer.mlp.gate_proj.weight", intermediate, hidden), intermediate, hidden, precision);
        up = Matrix.of(read(file, "layer.mlp.up_proj.weight", intermediate, hidden), intermediate, hidden, precision);
        down = Matrix.of(read(file, "layer.mlp.down_proj.weight", hidden, intermediate), hidden, intermediate, precision);
        norm = read(file, "norm.weight", hidden);
        draftToTarget = TargetDistribution.checkedMap(file.readIndices("d2t"), targetVocab);
        draftVocab = draftToTarget.length;
        if (config.has("draft_vocab_size") && integer(config, "draft_vocab_size") != draftVocab) {
            throw new ModelFormatException(file.path() + ": d2t holds " + draftVocab + " ids, config.json says "
                    + integer(config, "draft_vocab_size"));
        }
        embedding = target.require(ModelWeights.EMBED, targetVocab, hidden).data();
        float[] targetHead = target.contains(ModelWeights.LM_HEAD)
                ? target.require(ModelWeights.LM_HEAD, targetVocab, hidden).data() : embedding;
        float[] rows = new float[draftVocab * hidden];
        for (int i = 0; i < draftVocab; i++) {
            System.arraycopy(targetHead, draftToTarget[i] * hidden, rows, i * hidden, hidden);
        }
        head = Matrix.of(rows, draftVocab, hidden, precision);
    }

    /** Whether {@code dir} holds a feature draft (config.json's architecture says so). */
    public static boolean isFeatureDraft(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            return Files.isRegularFile(config) && Files.isRegularFile(dir.resolve("model.safetensors"))
                    && ARCHITECTURE.equals(stringOrNull(readConfig(dir), "architecture"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Loads the draft in {@code dir} for {@code target}, whose embedding and LM head it reads (the
     * arrays are shared, not copied, except the head's draft-vocabulary rows).
     *
     * @throws ModelFormatException     a missing or malformed file or tensor
     * @throws IllegalArgumentException the draft was made for a target of another width
     */
    public static FeatureDraft load(Path dir, ModelWeights target) {
        return load(dir, target, Precision.INT8);
    }

    /** As {@link #load(Path, ModelWeights)}, holding the matrices in {@code precision}. */
    public static FeatureDraft load(Path dir, ModelWeights target, Precision precision) {
        JsonObject config = readConfig(dir);
        if (!ARCHITECTURE.equals(stringOrNull(config, "architecture"))) {
            throw new ModelFormatException(dir + "/config.json: architecture is not \"" + ARCHITECTURE + "\"");
        }
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            return new FeatureDraft(config, file, target, precision);
        }
    }

    /**
     * Whether {@code other} (a compiled copy, say) is the draft in {@code dir}: the same feature layers
     * and draft vocabulary. Reads config.json and {@code d2t} only, not the weights.
     */
    public static boolean isSameDraft(Path dir, FeatureDraftModel other) {
        JsonArray layers = readConfig(dir).getAsJsonArray("feature_layers");
        int[] featureLayers = layers == null ? new int[0] : layers.asList().stream().mapToInt(e -> e.getAsInt()).toArray();
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            return Arrays.equals(featureLayers, other.featureLayers())
                    && Arrays.equals(file.readIndices("d2t"), other.draftToTarget());
        }
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public int draftVocab() {
        return draftVocab;
    }

    @Override
    public int targetVocab() {
        return targetVocab;
    }

    @Override
    public int[] featureLayers() {
        return featureLayers.clone();
    }

    @Override
    public int[] draftToTarget() {
        return draftToTarget.clone();
    }

    @Override
    public String device() {
        return "java";
    }

    @Override
    public State newState(int capacity) {
        return new State(capacity);
    }

    /**
     * One request's draft KV cache (slot = absolute position) and scratch buffers: a step allocates
     * nothing. Not thread-safe.
     */
    public final class State implements FeatureDraftModel.State {
        private final int capacity;
        private final float[] keys;    // (capacity, kvHeads * headDim), RoPE applied
        private final float[] values;  // (capacity, kvHeads * headDim)
        private final float[] h = new float[hidden];
        private final float[] a = new float[2 * hidden];
        private final float[] q = new float[heads * headDim];
        private final float[] attn = new float[heads * headDim];
        private final float[] scores;
        private final float[] r = new float[hidden];
        private final float[] n = new float[hidden];
        private final float[] gateOut = new float[intermediate];
        private final float[] upOut = new float[intermediate];

        private State(int capacity) {
            this.capacity = capacity;
            this.keys = new float[capacity * kvHeads * headDim];
            this.values = new float[capacity * kvHeads * headDim];
            this.scores = new float[capacity];
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public void step(float[] input, int inputOff, boolean fused, int token, int position, int firstSlot,
                         float[] gOut, float[] logits) {
            step(input, inputOff, fused, token, position, position, firstSlot, position, NO_SLOTS, 0, gOut, logits, 0);
        }

        /** One node after another: on the host a window costs what its rows cost. */
        @Override
        public void treeSteps(float[][] parentGs, int[] tokens, int[] positions, int[] slots, int rows, int firstSlot,
                              int lastSlot, int[][] extraSlots, int[] extraCounts, float[][] gOut, float[] logits) {
            for (int r = 0; r < rows; r++) {
                step(parentGs[r], 0, false, tokens[r], positions[r], slots[r], firstSlot, lastSlot, extraSlots[r],
                        extraCounts[r], gOut[r], logits, r * draftVocab);
            }
        }

        private void step(float[] input, int inputOff, boolean fused, int token, int position, int slot,
                          int firstSlot, int lastSlot, int[] extraSlots, int extraCount, float[] gOut, float[] logits,
                          int logitsOff) {
            if (slot < 0 || slot >= capacity) {
                throw new IllegalStateException("draft cache slot " + slot + " outside its cache of "
                        + capacity + " positions");
            }
            if (token < 0 || token >= targetVocab) {
                throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + targetVocab);
            }
            if (fused) {
                fc.times(input, inputOff, h, 0);
            } else {
                System.arraycopy(input, inputOff, h, 0, hidden);
            }
            DraftKernels.rmsNorm(embedding, token * hidden, hidden, embNorm, eps, a, 0);
            DraftKernels.rmsNorm(h, 0, hidden, hidNorm, eps, a, hidden);
            int kvWidth = kvHeads * headDim;
            int at = slot * kvWidth;
            wq.times(a, 0, q, 0);
            wk.times(a, 0, keys, at);
            wv.times(a, 0, values, at);
            for (int head = 0; head < heads; head++) {
                rope(q, head * headDim, position);
            }
            for (int head = 0; head < kvHeads; head++) {
                rope(keys, at + head * headDim, position);
            }
            attend(firstSlot, lastSlot, extraSlots, extraCount);
            wo.times(attn, 0, r, 0);
            for (int i = 0; i < hidden; i++) {
                r[i] += h[i];
            }
            DraftKernels.rmsNorm(r, 0, hidden, postNorm, eps, n, 0);
            gate.times(n, 0, gateOut, 0);
            up.times(n, 0, upOut, 0);
            for (int i = 0; i < intermediate; i++) {
                float x = gateOut[i];
                gateOut[i] = x / (1f + (float) Math.exp(-x)) * upOut[i];
            }
            down.times(gateOut, 0, gOut, 0);
            for (int i = 0; i < hidden; i++) {
                gOut[i] += r[i];
            }
            if (logits != null) {
                DraftKernels.rmsNorm(gOut, 0, hidden, norm, eps, n, 0);
                head.times(n, 0, logits, logitsOff);
            }
        }

        /** Hugging Face's rotate_half RoPE: dimension i pairs with i + headDim / 2. */
        private void rope(float[] x, int off, int position) {
            int half = headDim / 2;
            for (int i = 0; i < half; i++) {
                double angle = position * (double) invFreq[i];
                float cos = (float) Math.cos(angle);
                float sin = (float) Math.sin(angle);
                float x0 = x[off + i];
                float x1 = x[off + i + half];
                x[off + i] = x0 * cos - x1 * sin;
                x[off + i + half] = x1 * cos + x0 * sin;
            }
        }

        /**
         * Attention over slots {@code firstSlot..lastSlot} inclusive and {@code extra[0..extraCount)}
         * (a tree node's ancestors and itself, all past lastSlot).
         */
        private void attend(int firstSlot, int lastSlot, int[] extra, int extraCount) {
            int kvWidth = kvHeads * headDim;
            int group = heads / kvHeads;
            float scale = (float) (1.0 / Math.sqrt(headDim));
            int span = Math.max(0, lastSlot - firstSlot + 1);
            int n = span + extraCount;
            Arrays.fill(attn, 0f);
            for (int head = 0; head < heads; head++) {
                int kvOff = (head / group) * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    int s = i < span ? firstSlot + i : extra[i - span];
                    float score = DraftKernels.dot(q, head * headDim, keys, s * kvWidth + kvOff, headDim) * scale;
                    scores[i] = score;
                    max = Math.max(max, score);
                }
                float sum = 0f;
                for (int i = 0; i < n; i++) {
                    float e = (float) Math.exp(scores[i] - max);
                    scores[i] = e;
                    sum += e;
                }
                for (int i = 0; i < n; i++) {
                    int s = i < span ? firstSlot + i : extra[i - span];
                    DraftKernels.axpy(scores[i] / sum, values, s * kvWidth + kvOff, attn, head * headDim, headDim);
                }
            }
        }
    }

    private static float[] read(SafetensorsFile file, String name, long... shape) {
        if (!file.contains(name)) {
            throw new ModelFormatException(file.path() + ": no tensor '" + name + "'");
        }
        HostTensor tensor = file.read(name);
        if (!Arrays.equals(tensor.shape(), shape)) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has shape "
                    + Arrays.toString(tensor.shape()) + ", expected " + Arrays.toString(shape));
        }
        return tensor.data();
    }

    private static JsonObject readConfig(Path dir) {
        Path path = dir.resolve("config.json");
        try {
            return JsonParser.parseString(Files.readString(path)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(path + ": " + e.getMessage(), e);
        }
    }

    private static String stringOrNull(JsonObject config, String key) {
        return config.has(key) && config.get(key).isJsonPrimitive() ? config.get(key).getAsString() : null;
    }

    private static int integer(JsonObject config, String key) {
        return (int) number(config, key);
    }

    private static double number(JsonObject config, String key) {
        if (!config.has(key) || !config.get(key).isJsonPrimitive()) {
            throw new ModelFormatException("feature draft config.json has no number '" + key + "'");
        }
        return config.get(key).getAsDouble();
    }
}
