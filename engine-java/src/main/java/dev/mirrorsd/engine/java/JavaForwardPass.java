package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.model.GuardedForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Window;

/**
 * One forward pass over a window, a layer at a time, all rows of the window together: each
 * matmul reads its weights once for the whole window. Attention ({@link Attention}) runs a block
 * of positions at a time for all query heads of a KV head and several rows together, never
 * building a (rows, positions) matrix.
 */
final class JavaForwardPass extends GuardedForwardPass {
    private final JavaCausalLM model;
    private final JavaSequence sequence;
    private final Window window;
    private final int start;        // cached positions before the window
    private final int w;            // window rows
    private final int[][] visible;  // per row, the window rows it attends to, ascending
    private final float[] cos;      // (w, headDim / 2)
    private final float[] sin;      // (w, headDim / 2)
    private final float[] hidden;   // (w, hidden), the residual stream

    JavaForwardPass(JavaCausalLM model, JavaSequence sequence, Window window) {
        super(window.size(), model.config().numLayers());
        this.model = model;
        this.sequence = sequence;
        this.window = window;
        this.start = sequence.length();
        this.w = window.size();
        ModelConfig c = model.config();
        this.visible = new int[w][];
        for (int r = 0; r < w; r++) {
            int depth = 0;
            for (int p = r; p >= 0; p = window.parents()[p]) {
                depth++;
            }
            int[] path = new int[depth];
            for (int p = r, i = depth - 1; p >= 0; p = window.parents()[p], i--) {
                path[i] = p;
            }
            visible[r] = path;
        }
        int half = c.headDim() / 2;
        this.cos = new float[w * half];
        this.sin = new float[w * half];
        model.rope().angles(window.positions(), cos, sin);
        this.hidden = model.embed(window.tokens());
    }

    @Override
    protected void advance(int from, int to) {
        for (int l = from; l < to; l++) {
            decoderLayer(l);
        }
        if (to == layers()) {
            sequence.passCommitted(w);
        }
    }

    private void decoderLayer(int l) {
        ModelConfig c = model.config();
        Layer layer = model.layers().get(l);
        Matmul matmul = model.matmul();
        int h = c.hiddenSize();
        int headDim = c.headDim();
        int qWidth = c.numHeads() * headDim;
        int kvWidth = c.numKvHeads() * headDim;
        // attention rmsnorm
        float[] x = rmsNorm(hidden, w, h, layer.attnNorm(), c.rmsNormEps());
        // qkv matmuls
        float[] q = new float[w * qWidth];
        float[] k = new float[w * kvWidth];
        float[] v = new float[w * kvWidth];
        matmul.multiply(new Matrix[] {layer.q(), layer.k(), layer.v()}, new float[][] {q, k, v}, x, w);
        addBias(q, layer.qBias());
        addBias(k, layer.kBias());
        addBias(v, layer.vBias());
        // rotary embedding, then the window's keys and values into the cache behind the cached positions
        float[] keys = sequence.keys(l);
        float[] values = sequence.values(l);
        for (int r = 0; r < w; r++) {
            model.rope().apply(q, r, c.numHeads(), cos, sin);
            model.rope().apply(k, r, c.numKvHeads(), cos, sin);
        }
        Attention attention = sequence.attention();
        attention.storeKeys(keys, sequence.capacity(), k, w, start);
        attention.storeValues(values, sequence.capacity(), v, w, start);
        // grouped-query attention
        float[] attended = new float[w * qWidth];
        attention.attend(matmul.pool(), q, keys, values, sequence.capacity(), start, visible, attended);
        // output projection and residual
        float[] o = new float[w * h];
        matmul.multiply(layer.o(), o, attended, w);
        addBias(o, layer.oBias());
        add(hidden, o);
        // ffn rmsnorm, SwiGLU, down projection, residual
        x = rmsNorm(hidden, w, h, layer.ffnNorm(), c.rmsNormEps());
        int inter = c.intermediateSize();
        float[] gate = new float[w * inter];
        float[] up = new float[w * inter];
        matmul.multiply(new Matrix[] {layer.gate(), layer.up()}, new float[][] {gate, up}, x, w);
        Kernels.swiglu(gate, up);
        float[] down = new float[w * h];
        matmul.multiply(layer.down(), down, gate, w);
        add(hidden, down);
    }

    /** x / sqrt(mean(x^2) + eps) * weight, per row. */
    private static float[] rmsNorm(float[] x, int rows, int width, float[] weight, float eps) {
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            int base = r * width;
            float ss = Kernels.dot(x, base, x, base, width);
            float inv = (float) (1.0 / Math.sqrt(ss / width + eps));
            for (int i = 0; i < width; i++) {
                out[base + i] = x[base + i] * inv * weight[i];
            }
        }
        return out;
    }

    private static void addBias(float[] x, float[] bias) {
        if (bias == null) {
            return;
        }
        for (int i = 0; i < x.length; i += bias.length) {
            Kernels.axpy(1f, bias, 0, x, i, bias.length);
        }
    }

    private static void add(float[] into, float[] x) {
        Kernels.axpy(1f, x, 0, into, 0, into.length);
    }

    /** Final norm of {@code rows} rows of {@code src (.., hidden)} from row {@code fromRow}, {@code (rows, hidden)}. */
    private float[] normed(float[] src, int fromRow, int rows) {
        ModelConfig c = model.config();
        int h = c.hiddenSize();
        float[] slice = new float[rows * h];
        System.arraycopy(src, fromRow * h, slice, 0, slice.length);
        return rmsNorm(slice, rows, h, model.finalNorm(), c.rmsNormEps());
    }

    @Override
    protected Logits readLogits(int fromRow) {
        return head(normed(hidden, fromRow, w - fromRow), w - fromRow);
    }

    private Logits head(float[] normed, int rows) {
        Matrix head = model.head();
        float[] out = new float[rows * head.rows()];
        model.matmul().multiply(head, out, normed, rows);
        return new Logits(rows, head.rows(), out);
    }

    @Override
    protected Logits readLogits(int fromRow, int[] vocabulary) {
        int rows = w - fromRow;
        float[] out = new float[rows * vocabulary.length];
        model.matmul().multiplyRows(model.head(), vocabulary, out, normed(hidden, fromRow, rows), rows);
        return new Logits(rows, vocabulary.length, out);
    }

    @Override
    protected int readHiddenStates(int fromRow, float[] out) {
        int h = model.config().hiddenSize();
        int n = (w - fromRow) * h;
        if (out.length < n) {
            throw new IllegalArgumentException("hidden states of " + (w - fromRow) + " rows need " + n
                    + " floats, the buffer holds " + out.length);
        }
        System.arraycopy(hidden, fromRow * h, out, 0, n);
        return n;
    }

    @Override
    public int multiTokenHeads() {
        return model.mtpWeights().size();
    }

    @Override
    protected Logits readMultiTokenLogits(int head, int fromRow) {
        int h = model.config().hiddenSize();
        int rows = w - fromRow;
        float[] x = new float[rows * h];
        System.arraycopy(hidden, fromRow * h, x, 0, x.length);
        // u = h + silu(W h + b), then the shared final norm and head
        float[] projected = new float[rows * h];
        model.matmul().multiply(model.mtpWeights().get(head), projected, x, rows);
        addBias(projected, model.mtpBiases().get(head));
        for (int i = 0; i < x.length; i++) {
            float p = projected[i];
            x[i] += p / (1f + (float) Math.exp(-p));
        }
        return head(normed(x, 0, rows), rows);
    }

    @Override
    protected void release() {
        sequence.passEnded(this);
    }
}
