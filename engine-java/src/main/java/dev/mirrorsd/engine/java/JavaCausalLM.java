package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.GgmlType;
import dev.mirrorsd.core.format.gguf.GgufCheckpoint;
import dev.mirrorsd.core.format.gguf.GgufFile;
import dev.mirrorsd.core.format.gguf.GgufTensorInfo;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ChunkedSequence;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family decoder in plain Java on the CPU. A GGUF file is memory-mapped whole and its
 * matrices are used in their block formats where they lie; weights given in memory (random test
 * models, safetensors checkpoints) are copied once into fp32 matrices.
 *
 * <p>Thread-safety: safe to share; sequences are independent. Matmuls of all sequences go through
 * the model's one {@link RowPool}, which serializes them.
 */
public final class JavaCausalLM implements CausalLM {
    /** Rows fed per pass when a longer chain (a prompt) arrives; bounds a pass's buffers. */
    static final int PREFILL_CHUNK = 256;

    private final ModelConfig config;
    private final List<Layer> layers;
    private final Matrix embedding;    // (vocab, hidden)
    private final Matrix head;         // (head rows, hidden); rows = vocab unless the draft's is reduced
    private final float[] finalNorm;   // (hidden)
    private final List<Matrix> mtpWeights; // per multi-token head (hidden, hidden)
    private final List<float[]> mtpBiases; // per multi-token head (hidden)
    private final Rope rope;
    private final Matmul matmul;
    private final Arena arena;         // owns the mapping or the fp32 copies; null for a view
    private final String source;

    private JavaCausalLM(ModelConfig config, List<Layer> layers, Matrix embedding, Matrix head, float[] finalNorm,
                         List<Matrix> mtpWeights, List<float[]> mtpBiases, Rope rope, Matmul matmul,
                         Arena arena, String source) {
        this.config = config;
        this.layers = layers;
        this.embedding = embedding;
        this.head = head;
        this.finalNorm = finalNorm;
        this.mtpWeights = mtpWeights;
        this.mtpBiases = mtpBiases;
        this.rope = rope;
        this.matmul = matmul;
        this.arena = arena;
        this.source = source;
    }

    /**
     * Maps the GGUF file at {@code path}; {@code threads} matmul threads (0: one per available
     * processor).
     */
    public static JavaCausalLM loadGguf(Path path, int threads) {
        Arena arena = Arena.ofShared();
        try (GgufFile gguf = GgufFile.open(path);
             FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            ModelConfig c = GgufCheckpoint.config(gguf);
            Map<String, Matrix> matrices = new HashMap<>();
            Map<String, float[]> vectors = new HashMap<>();
            List<String> unknown = new ArrayList<>();
            for (GgufTensorInfo info : gguf.tensors()) {
                String name = GgufCheckpoint.huggingFaceName(info.name()).orElse(null);
                if (name == null) {
                    unknown.add(info.name());
                } else if (info.ggufDims().length == 1) {
                    vectors.put(name, gguf.readTensor(info).data());
                } else if (info.ggufDims().length == 2) {
                    long[] dims = info.ggufDims(); // innermost first: (cols, rows)
                    Matrix m = Matrix.of(path + ": " + info.name(), info.type(), Math.toIntExact(dims[1]),
                            Math.toIntExact(dims[0]), file.asSlice(gguf.fileOffset(info), info.byteSize()));
                    if (!m.hasFusedDot() && !info.type().isSupported()) {
                        throw new UnsupportedModelException(m.name() + " has ggml type " + info.type()
                                + ", which the java engine cannot read; supported: " + GgmlType.SUPPORTED);
                    }
                    matrices.put(name, m);
                } else {
                    throw new ModelFormatException(path + ": tensor '" + info.name() + "' has "
                            + info.ggufDims().length + " dimensions; expected 1 or 2");
                }
            }
            if (!unknown.isEmpty()) {
                throw new UnsupportedModelException(path + ": tensors this engine does not know for "
                        + c.architecture() + ": " + unknown);
            }
            Rope rope = new Rope(c.headDim(), c.ropeTheta(), GgufCheckpoint.isRopePermuted(c.architecture()));
            return assemble(c, name -> matrices.get(name), name -> vectors.get(name), rope, threads, arena,
                    path.toString());
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path + ": cannot map: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Copies fp32 weights (Hugging Face row order) into the engine's matrices. */
    public static JavaCausalLM load(ModelWeights w, int threads) {
        Arena arena = Arena.ofShared();
        try {
            ModelConfig c = w.config();
            Rope rope = new Rope(c.headDim(), c.ropeTheta(), false);
            return assemble(c, name -> {
                if (!w.contains(name)) {
                    return null;
                }
                HostTensor t = w.require(name);
                if (t.rank() != 2) {
                    throw new ModelFormatException(w.source() + ": " + name + " has rank " + t.rank() + ", expected 2");
                }
                MemorySegment data = arena.allocate(4L * t.data().length, 64);
                MemorySegment.copy(t.data(), 0, data, ValueLayout.JAVA_FLOAT, 0, t.data().length);
                return Matrix.of(w.source() + ": " + name, GgmlType.F32, (int) t.dim(0), (int) t.dim(1), data);
            }, name -> w.contains(name) ? w.require(name).data() : null, rope, threads, arena, w.source());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private interface Lookup<T> {
        T get(String name);
    }

    private static JavaCausalLM assemble(ModelConfig c, Lookup<Matrix> matrices, Lookup<float[]> vectors, Rope rope,
                                         int threads, Arena arena, String source) {
        int hidden = c.hiddenSize();
        int qRows = c.numHeads() * c.headDim();
        int kvRows = c.numKvHeads() * c.headDim();
        int inter = c.intermediateSize();
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            final int layer = l;
            Lookup<Matrix> m = name -> matrix(matrices, ModelWeights.layer(layer, name), source);
            Lookup<float[]> v = name -> vectors.get(ModelWeights.layer(layer, name));
            layers.add(new Layer(
                    vector(v.get("input_layernorm.weight"), hidden, "input_layernorm", source),
                    shaped(m.get("self_attn.q_proj.weight"), qRows, hidden),
                    shaped(m.get("self_attn.k_proj.weight"), kvRows, hidden),
                    shaped(m.get("self_attn.v_proj.weight"), kvRows, hidden),
                    optional(v.get("self_attn.q_proj.bias"), qRows, c.attentionBias(), source),
                    optional(v.get("self_attn.k_proj.bias"), kvRows, c.attentionBias(), source),
                    optional(v.get("self_attn.v_proj.bias"), kvRows, c.attentionBias(), source),
                    shaped(m.get("self_attn.o_proj.weight"), hidden, qRows),
                    optional(v.get("self_attn.o_proj.bias"), hidden, false, source),
                    vector(v.get("post_attention_layernorm.weight"), hidden, "post_attention_layernorm", source),
                    shaped(m.get("mlp.gate_proj.weight"), inter, hidden),
                    shaped(m.get("mlp.up_proj.weight"), inter, hidden),
                    shaped(m.get("mlp.down_proj.weight"), hidden, inter)));
        }
        Matrix embedding = shaped(matrix(matrices, ModelWeights.EMBED, source), c.vocabSize(), hidden);
        Matrix head = c.tieWordEmbeddings() ? embedding : matrix(matrices, ModelWeights.LM_HEAD, source);
        if (head.cols() != hidden) {
            throw new ModelFormatException(head.name() + " has " + head.cols() + " columns, expected " + hidden);
        }
        float[] finalNorm = vector(vectors.get(ModelWeights.FINAL_NORM), hidden, ModelWeights.FINAL_NORM, source);
        List<Matrix> mtp = new ArrayList<>();
        List<float[]> mtpBias = new ArrayList<>();
        for (int k = 0; ; k++) {
            Matrix weight = matrices.get(ModelWeights.multiTokenWeight(k));
            if (weight == null) {
                break;
            }
            mtp.add(shaped(weight, hidden, hidden));
            mtpBias.add(vector(vectors.get("mtp." + k + ".bias"), hidden, "mtp." + k + ".bias", source));
        }
        int maxCols = Math.max(Math.max(hidden, inter), qRows);
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Matmul matmul = new Matmul(new RowPool(n, "java-engine"), maxCols);
        return new JavaCausalLM(c, List.copyOf(layers), embedding, head, finalNorm, List.copyOf(mtp),
                List.copyOf(mtpBias), rope, matmul, arena, source);
    }

    private static Matrix matrix(Lookup<Matrix> matrices, String name, String source) {
        Matrix m = matrices.get(name);
        if (m == null) {
            throw new ModelFormatException(source + ": missing tensor " + name);
        }
        return m;
    }

    private static Matrix shaped(Matrix m, int rows, int cols) {
        if (m.rows() != rows || m.cols() != cols) {
            throw new ModelFormatException(m.name() + " has shape (" + m.rows() + ", " + m.cols()
                    + "), expected (" + rows + ", " + cols + ")");
        }
        return m;
    }

    private static float[] vector(float[] v, int length, String name, String source) {
        if (v == null) {
            throw new ModelFormatException(source + ": missing tensor " + name);
        }
        if (v.length != length) {
            throw new ModelFormatException(source + ": " + name + " has " + v.length + " values, expected " + length);
        }
        return v;
    }

    private static float[] optional(float[] v, int length, boolean required, String source) {
        if (v == null && required) {
            throw new ModelFormatException(source + ": the config asks for q/k/v biases, the checkpoint has none");
        }
        return v == null ? null : vector(v, length, "bias", source);
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
        return new ChunkedSequence(new JavaSequence(this, capacity), PREFILL_CHUNK);
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
        return new JavaCausalLM(cut, layers.subList(0, n), embedding, head, finalNorm, List.of(), List.of(), rope,
                matmul, null, source);
    }

    @Override
    public String device() {
        return JavaEngineProvider.NAME + ":cpu";
    }

    /** Matmul threads. */
    public int threads() {
        return matmul.pool().threads();
    }

    @Override
    public void close() {
        if (arena != null) {
            matmul.pool().close();
            arena.close();
        }
    }

    List<Layer> layers() {
        return layers;
    }

    Matrix head() {
        return head;
    }

    float[] finalNorm() {
        return finalNorm;
    }

    List<Matrix> mtpWeights() {
        return mtpWeights;
    }

    List<float[]> mtpBiases() {
        return mtpBiases;
    }

    Rope rope() {
        return rope;
    }

    Matmul matmul() {
        return matmul;
    }

    /** The embedding rows of {@code tokens}, {@code (tokens, hidden)}. */
    float[] embed(int[] tokens) {
        int hidden = config.hiddenSize();
        float[] out = new float[tokens.length * hidden];
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
            embedding.widenRow(t, out, i * hidden);
        }
        return out;
    }
}
