package dev.mirrorsd.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family decoder on DJL's PyTorch engine, on any DJL device.
 *
 * <p>Each op through JNI costs ~20 us, so the weights are prepared at load time to keep a layer at
 * about forty ops: fused projections, norms folded into weights, RoPE's rotate-half as one matmul.
 * Weights live in fp32 (DJL's BF16 path aborts the JVM, its FP16 matvec is 3x slower than fp32).
 *
 * <p>Thread-safety: safe to share; sequences are independent. Requests on many threads share only
 * the read-only weights and the model's base manager: an op whose first operand is a weight attaches
 * its result there for a moment before the pass moves it to its own scope, and DJL's managers attach
 * and detach under a lock ({@code BaseNDManager.attachInternal} is synchronized). libtorch's grad
 * mode is per thread and is switched off only on the loading thread; other threads record no graph
 * either, since no weight requires a gradient.
 */
public final class DjlCausalLM implements CausalLM {
    private final ModelConfig config;
    private final NDManager manager;
    private final List<LayerWeights> layers;
    private final NDArray lmHead;        // (head rows, hidden), final norm folded in; rows = vocab unless reduced
    private final float[] embedding;      // (vocab, hidden) on the host: a lookup is a copy, not an op
    private final NDArray rotateHalf;     // (headDim, headDim)
    private final RotaryEmbedding rotary;
    private final List<NDArray[]> multiTokenHeads; // per head {weight (hidden, hidden), bias (hidden)}
    private final Map<IntBuffer, NDArray> narrowedHeads = new HashMap<>(); // by content, see headFor; guarded by itself
    private final boolean ownsWeights;    // false for a firstLayers() view

    private DjlCausalLM(ModelConfig config, NDManager manager, List<LayerWeights> layers, NDArray lmHead,
                        float[] embedding, NDArray rotateHalf, RotaryEmbedding rotary, List<NDArray[]> multiTokenHeads,
                        boolean ownsWeights) {
        this.config = config;
        this.manager = manager;
        this.layers = layers;
        this.lmHead = lmHead;
        this.embedding = embedding;
        this.rotateHalf = rotateHalf;
        this.rotary = rotary;
        this.multiTokenHeads = multiTokenHeads;
        this.ownsWeights = ownsWeights;
    }

    /** Loads on the CPU with libtorch's default thread count. */
    public static DjlCausalLM load(ModelWeights weights) {
        return load(weights, Device.cpu(), 0);
    }

    /**
     * Loads onto {@code device}. {@code intraOpThreads > 0} sets libtorch's intra-op thread count,
     * which is process-wide: every DJL model in the process shares it.
     */
    public static DjlCausalLM load(ModelWeights weights, Device device, int intraOpThreads) {
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        if (intraOpThreads > 0) {
            JniUtils.setNumThreads(intraOpThreads);
        }
        JniUtils.setGradMode(false);
        try {
            return prepare(weights, manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static DjlCausalLM prepare(ModelWeights w, NDManager manager) {
        ModelConfig c = w.config();
        int hidden = c.hiddenSize();
        int headDim = c.headDim();
        int qRows = c.numHeads() * headDim;
        int kvRows = c.numKvHeads() * headDim;
        float queryScale = (float) (1.0 / Math.sqrt(headDim));
        List<LayerWeights> layers = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            float[] inputNorm = w.require(ModelWeights.layer(l, "input_layernorm.weight"), hidden).data();
            float[] postNorm = w.require(ModelWeights.layer(l, "post_attention_layernorm.weight"), hidden).data();
            HostTensor q = w.require(ModelWeights.layer(l, "self_attn.q_proj.weight"), qRows, hidden);
            HostTensor k = w.require(ModelWeights.layer(l, "self_attn.k_proj.weight"), kvRows, hidden);
            HostTensor v = w.require(ModelWeights.layer(l, "self_attn.v_proj.weight"), kvRows, hidden);
            int cols = qRows + 2 * kvRows;
            float[] qkv = new float[cols * hidden];
            scaleColumnsInto(q.data(), qRows, hidden, qkv, 0, inputNorm, queryScale);
            scaleColumnsInto(k.data(), kvRows, hidden, qkv, qRows, inputNorm, 1f);
            scaleColumnsInto(v.data(), kvRows, hidden, qkv, qRows + kvRows, inputNorm, 1f);
            NDArray qkvBias = null;
            if (c.attentionBias()) {
                float[] bias = new float[cols];
                float[] qb = w.require(ModelWeights.layer(l, "self_attn.q_proj.bias"), qRows).data();
                for (int i = 0; i < qRows; i++) {
                    bias[i] = qb[i] * queryScale;
                }
                System.arraycopy(w.require(ModelWeights.layer(l, "self_attn.k_proj.bias"), kvRows).data(), 0, bias, qRows, kvRows);
                System.arraycopy(w.require(ModelWeights.layer(l, "self_attn.v_proj.bias"), kvRows).data(), 0, bias, qRows + kvRows, kvRows);
                qkvBias = manager.create(bias);
            }
            HostTensor o = w.require(ModelWeights.layer(l, "self_attn.o_proj.weight"), hidden, qRows);
            NDArray oBias = null;
            String oBiasName = ModelWeights.layer(l, "self_attn.o_proj.bias");
            if (w.contains(oBiasName)) {
                oBias = manager.create(w.require(oBiasName, hidden).data());
            }
            int inter = c.intermediateSize();
            HostTensor gate = w.require(ModelWeights.layer(l, "mlp.gate_proj.weight"), inter, hidden);
            HostTensor up = w.require(ModelWeights.layer(l, "mlp.up_proj.weight"), inter, hidden);
            HostTensor down = w.require(ModelWeights.layer(l, "mlp.down_proj.weight"), hidden, inter);
            float[] gateUp = new float[2 * inter * hidden];
            scaleColumnsInto(gate.data(), inter, hidden, gateUp, 0, postNorm, 1f);
            scaleColumnsInto(up.data(), inter, hidden, gateUp, inter, postNorm, 1f);
            layers.add(new LayerWeights(
                    manager.create(qkv, new Shape(cols, hidden)),
                    qkvBias,
                    manager.create(o.data(), new Shape(hidden, qRows)),
                    oBias,
                    manager.create(gateUp, new Shape(2L * inter, hidden)),
                    manager.create(down.data(), new Shape(hidden, inter))));
            for (String name : List.of("input_layernorm.weight", "post_attention_layernorm.weight",
                    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                    "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")) {
                w.release(ModelWeights.layer(l, name)); // keeps peak host memory near one copy of the model
            }
        }
        float[] embedding = w.require(ModelWeights.EMBED, c.vocabSize(), hidden).data();
        // a draft may predict over a reduced vocabulary: the head's rows, not the embedding's, count
        HostTensor head = c.tieWordEmbeddings() ? w.require(ModelWeights.EMBED) : w.require(ModelWeights.LM_HEAD);
        if (head.rank() != 2 || head.dim(1) != hidden) {
            throw new dev.mirrorsd.core.model.ModelFormatException(w.source() + ": LM head has shape "
                    + java.util.Arrays.toString(head.shape()) + ", expected (rows, " + hidden + ")");
        }
        int headRows = (int) head.dim(0);
        float[] finalNorm = w.require(ModelWeights.FINAL_NORM, hidden).data();
        float[] scaledHead = new float[headRows * hidden];
        scaleColumnsInto(head.data(), headRows, hidden, scaledHead, 0, finalNorm, 1f);
        NDArray lmHead = manager.create(scaledHead, new Shape(headRows, hidden));
        List<NDArray[]> multiTokenHeads = new ArrayList<>();
        for (int k = 0; w.contains(ModelWeights.multiTokenWeight(k)); k++) {
            multiTokenHeads.add(new NDArray[] {
                    manager.create(w.require(ModelWeights.multiTokenWeight(k), hidden, hidden).data(), new Shape(hidden, hidden)),
                    manager.create(w.require("mtp." + k + ".bias", hidden).data())});
        }
        RotaryEmbedding rotary = new RotaryEmbedding(headDim, c.ropeTheta());
        NDArray rotateHalf = manager.create(rotary.rotateHalfMatrix(), new Shape(headDim, headDim));
        return new DjlCausalLM(c, manager, List.copyOf(layers), lmHead, embedding, rotateHalf, rotary,
                List.copyOf(multiTokenHeads), true);
    }

    /**
     * Copies {@code src (rows, cols)} into rows {@code rowOffset..} of {@code dst (.., cols)},
     * multiplying column j (input feature j) by {@code columnScale[j] * scale}.
     */
    private static void scaleColumnsInto(float[] src, int rows, int cols, float[] dst, int rowOffset,
                                         float[] columnScale, float scale) {
        for (int r = 0; r < rows; r++) {
            int srcBase = r * cols;
            int dstBase = (rowOffset + r) * cols;
            for (int j = 0; j < cols; j++) {
                dst[dstBase + j] = src[srcBase + j] * columnScale[j] * scale;
            }
        }
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Sequence newSequence(int capacity) {
        if (capacity <= 0 || capacity > config.maxPositions()) {
            throw new IllegalArgumentException("sequence capacity must be in [1, " + config.maxPositions()
                    + "] (the model's context), got " + capacity);
        }
        return new DjlSequence(this, manager.newSubManager(), capacity);
    }

    @Override
    public CausalLM firstLayers(int n) {
        if (n < 1 || n > layers.size()) {
            throw new IllegalArgumentException("early-exit layer must be in [1, " + layers.size() + "], got " + n);
        }
        ModelConfig c = config;
        ModelConfig cut = new ModelConfig(c.architecture(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), n,
                c.numHeads(), c.numKvHeads(), c.headDim(), c.maxPositions(), c.rmsNormEps(), c.ropeTheta(),
                c.tieWordEmbeddings(), c.attentionBias(), c.bosTokenId(), c.eosTokenIds());
        return new DjlCausalLM(cut, manager, layers.subList(0, n), lmHead, embedding, rotateHalf, rotary, List.of(), false);
    }

    @Override
    public String device() {
        return "pytorch:" + manager.getDevice();
    }

    /**
     * Native arrays held by this model's manager tree: its weights plus every open sequence's cache
     * and every open pass's tensors (a view from {@link #firstLayers} counts the whole tree). Constant
     * between requests once each closes what it opened; leak tests and the soak benchmark watch it.
     * Walks the tree: for checks, not for the decoding path.
     */
    @Override
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    /** Bytes of the arrays {@link #liveArrays} counts; read it while no request runs. */
    @Override
    public long liveArrayBytes() {
        long bytes = 0;
        for (NDArray array : manager.getManagedArrays()) {
            bytes += array.size() * array.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    @Override
    public void close() {
        if (ownsWeights) {
            manager.close();
        }
    }

    List<LayerWeights> layers() {
        return layers;
    }

    NDArray lmHead() {
        return lmHead;
    }

    /**
     * The head's rows for {@code vocabulary} (ids of the head's rows), gathered once per distinct
     * vocabulary and kept with the weights: a generator asks with the same one every round.
     */
    NDArray headFor(int[] vocabulary) {
        synchronized (narrowedHeads) {
            NDArray head = narrowedHeads.get(IntBuffer.wrap(vocabulary));
            if (head == null) {
                head = gatherHeadRows(vocabulary);
                narrowedHeads.put(IntBuffer.wrap(vocabulary.clone()), head);
            }
            return head;
        }
    }

    private NDArray gatherHeadRows(int[] vocabulary) {
        long headRows = lmHead.getShape().get(0);
        long[] ids = new long[vocabulary.length];
        for (int i = 0; i < ids.length; i++) {
            if (vocabulary[i] < 0 || vocabulary[i] >= headRows) {
                throw new IllegalArgumentException("vocabulary id " + vocabulary[i] + " outside the head's "
                        + headRows + " rows");
            }
            ids[i] = vocabulary[i];
        }
        try (NDArray index = manager.create(ids)) {
            NDArray gathered = lmHead.get(index);
            gathered.attach(manager);
            return gathered;
        }
    }

    List<NDArray[]> multiTokenHeads() {
        return multiTokenHeads;
    }

    NDArray rotateHalf() {
        return rotateHalf;
    }

    RotaryEmbedding rotary() {
        return rotary;
    }

    /** Copies the embedding rows of {@code tokens} into {@code (tokens, hidden)}. */
    float[] embed(int[] tokens) {
        int hidden = config.hiddenSize();
        float[] out = new float[tokens.length * hidden];
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
            System.arraycopy(embedding, t * hidden, out, i * hidden, hidden);
        }
        return out;
    }
}
