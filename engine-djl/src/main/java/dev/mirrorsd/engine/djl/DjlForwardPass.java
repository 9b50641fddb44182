package dev.mirrorsd.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.mirrorsd.core.model.GuardedForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Window;

/**
 * One forward pass over a window, a layer at a time. Every tensor it makes belongs to its own
 * manager (or to a per-layer child of it), so closing the pass frees all of them.
 */
final class DjlForwardPass extends GuardedForwardPass {
    private static final float MASKED = Float.NEGATIVE_INFINITY;
    private static final NDIndex FIRST_ROW = new NDIndex().addSliceDim(0, 1);

    private final DjlCausalLM model;
    private final DjlSequence sequence;
    private final NDManager manager;
    private final Window window;
    private final int start;          // cached positions before the window
    private final int rows;           // rows computed: the window, or a one-token window twice (see below)
    private final NDArray cos;        // (1, window, headDim)
    private final NDArray sin;        // (1, window, headDim)
    private final NDArray mask;       // (queriesPerKvHead * window, start + window) additive, or null
    private NDArray hidden;           // (window, hidden), the residual stream

    DjlForwardPass(DjlCausalLM model, DjlSequence sequence, NDManager manager, Window window) {
        super(window.size(), model.config().numLayers());
        this.model = model;
        this.sequence = sequence;
        this.manager = manager;
        this.window = window;
        this.start = sequence.length();
        ModelConfig c = model.config();
        int w = window.size();
        int headDim = c.headDim();
        // A one-token window runs as two identical rows: libtorch's GEMV path streams weights at half
        // the speed of its GEMM, and padding every projection instead would add three ops to each.
        // The twin row writes its key and value one slot past the window, where nothing reads them.
        this.rows = Math.max(2, w);
        int[] tokens = w == 1 ? new int[] {window.tokens()[0], window.tokens()[0]} : window.tokens();
        int[] positions = w == 1 ? new int[] {window.positions()[0], window.positions()[0]} : window.positions();
        float[] cosValues = new float[rows * headDim];
        float[] sinValues = new float[rows * headDim];
        model.rotary().angles(positions, cosValues, sinValues);
        this.cos = manager.create(cosValues, new Shape(1, rows, headDim));
        this.sin = manager.create(sinValues, new Shape(1, rows, headDim));
        this.mask = w == 1 ? null : manager.create(attentionMask(window, start, c.queriesPerKvHead()),
                new Shape((long) c.queriesPerKvHead() * w, start + w));
        this.hidden = manager.create(model.embed(tokens), new Shape(rows, c.hiddenSize()));
    }

    /**
     * Rows follow the grouped query layout {@code (group, window)}: every query head of a group sees
     * the same mask. Columns are the cached positions (all visible) then the window rows.
     */
    private static float[] attentionMask(Window window, int start, int groups) {
        int w = window.size();
        int cols = start + w;
        float[] mask = new float[groups * w * cols];
        for (int row = 0; row < w; row++) {
            float[] line = new float[w];
            java.util.Arrays.fill(line, MASKED);
            for (int r = row; r >= 0; r = window.parents()[r]) {
                line[r] = 0f;
            }
            for (int g = 0; g < groups; g++) {
                System.arraycopy(line, 0, mask, (g * w + row) * cols + start, w);
            }
        }
        return mask;
    }

    @Override
    protected void advance(int from, int to) {
        for (int l = from; l < to; l++) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray next = decoderLayer(l, scope);
                next.attach(manager);
                hidden.close();
                hidden = next;
            }
        }
        if (to == layers()) {
            sequence.passCommitted(window.size());
        }
    }

    private NDArray decoderLayer(int l, NDManager scope) {
        ModelConfig c = model.config();
        LayerWeights lw = model.layers().get(l);
        int w = rows;
        int heads = c.numHeads();
        int kvHeads = c.numKvHeads();
        int headDim = c.headDim();
        int end = start + window.size(); // the twin of a one-token window is not visible
        NDArray x = hidden;
        x.tempAttach(scope); // ops take their first operand's manager: make that the layer scope
        // attention rmsnorm (weight folded into the qkv projection)
        NDArray h = rmsNorm(x, c.rmsNormEps());
        // qkv matmul, then (heads + 2 * kvHeads, window, headDim)
        NDArray qkv = linear(h, lw.qkv(), lw.qkvBias()).reshape(w, heads + 2L * kvHeads, headDim).transpose(1, 0, 2);
        NDList qkAndV = qkv.split(new long[] {heads + kvHeads}, 0);
        // rotary embedding on queries and keys at once: x * cos + rotate_half(x) * sin
        NDArray qk = qkAndV.get(0);
        NDArray rotated = qk.mul(cos).add(qk.matMul(model.rotateHalf()).mul(sin));
        NDList qAndK = rotated.split(new long[] {heads}, 0);
        // append this window's keys and values to the cache
        NDIndex windowSlots = new NDIndex().addAllDim().addSliceDim(start, start + w);
        sequence.keys(l).set(windowSlots, qAndK.get(1));
        sequence.values(l).set(windowSlots, qkAndV.get(1));
        NDIndex visible = new NDIndex().addAllDim().addSliceDim(0, end);
        NDArray keys = sequence.keys(l).get(visible);
        keys.attach(scope);
        NDArray values = sequence.values(l).get(visible);
        values.attach(scope);
        // grouped-query attention: the queries of a group share their kv head, (kvHeads, group * window, end)
        NDArray q = qAndK.get(0).reshape(kvHeads, (long) c.queriesPerKvHead() * w, headDim);
        NDArray scores = q.matMul(keys.transpose(0, 2, 1));
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray attended = scores.softmax(-1).matMul(values)
                .reshape(heads, w, headDim).transpose(1, 0, 2).reshape(w, (long) heads * headDim);
        // output projection and residual
        NDArray residual = x.add(linear(attended, lw.o(), lw.oBias()));
        // ffn rmsnorm (weight folded into gate/up), SwiGLU, down projection, residual
        NDList gateUp = linear(rmsNorm(residual, c.rmsNormEps()), lw.gateUp(), null)
                .split(new long[] {c.intermediateSize()}, 1);
        NDArray gate = gateUp.get(0);
        NDArray activated = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(gateUp.get(1));
        return residual.add(linear(activated, lw.down(), null));
    }

    /**
     * x @ weight^T + bias, computed as (weight @ x^T)^T. On CPU, libtorch's GEMM streams a large
     * weight at 20-28 GB/s in that orientation against 5-11 GB/s for {@code linear} when x has a few
     * rows; a single row is padded to two, since one row falls back to a slower GEMV.
     */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        boolean single = x.getShape().get(0) == 1;
        NDArray rows = single ? x.concat(x, 0) : x;
        NDArray product = weight.matMul(rows.transpose());
        product.attach(x.getManager()); // an op's result belongs to its first operand's manager: the weights'
        NDArray out = single ? product.transpose().get(FIRST_ROW) : product.transpose();
        return bias == null ? out : out.add(bias);
    }

    /** x / sqrt(mean(x^2) + eps), without the weight (folded into the next projection). */
    private static NDArray rmsNorm(NDArray x, float eps) {
        return x.mul(x.square().mean(new int[] {-1}, true).add(eps).pow(-0.5f));
    }

    @Override
    protected Logits readLogits(int fromRow) {
        int w = window.size();
        try (NDManager scope = manager.newSubManager()) {
            NDArray rows = hidden.get(new NDIndex().addSliceDim(fromRow, w));
            rows.attach(scope);
            return head(rows);
        }
    }

    @Override
    protected Logits readLogits(int fromRow, int[] vocabulary) {
        int w = window.size();
        NDArray narrowed = model.headFor(vocabulary);
        try (NDManager scope = manager.newSubManager()) {
            NDArray rows = hidden.get(new NDIndex().addSliceDim(fromRow, w));
            rows.attach(scope);
            return head(rows, narrowed);
        }
    }

    @Override
    protected int readHiddenStates(int fromRow, float[] out) {
        int hiddenSize = model.config().hiddenSize();
        int n = (window.size() - fromRow) * hiddenSize;
        if (out.length < n) {
            throw new IllegalArgumentException("hidden states of " + (window.size() - fromRow) + " rows need "
                    + n + " floats, the buffer holds " + out.length);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray rows = hidden.get(new NDIndex().addSliceDim(fromRow, window.size()));
            rows.attach(scope);
            System.arraycopy(rows.toFloatArray(), 0, out, 0, n);
        }
        return n;
    }

    /** Final norm and LM head over {@code rows (n, hidden)}. */
    private Logits head(NDArray rows) {
        return head(rows, model.lmHead());
    }

    private Logits head(NDArray rows, NDArray lmHead) {
        NDArray logits = linear(rmsNorm(rows, model.config().rmsNormEps()), lmHead, null);
        long headRows = lmHead.getShape().get(0);
        return new Logits((int) rows.getShape().get(0), (int) headRows, logits.toFloatArray());
    }

    @Override
    public int multiTokenHeads() {
        return model.multiTokenHeads().size();
    }

    @Override
    protected Logits readMultiTokenLogits(int head, int fromRow) {
        int w = window.size();
        try (NDManager scope = manager.newSubManager()) {
            NDArray rows = hidden.get(new NDIndex().addSliceDim(fromRow, w));
            rows.attach(scope);
            // u = h + silu(W h + b), then the shared final norm and head
            NDArray[] mtp = model.multiTokenHeads().get(head);
            NDArray projected = linear(rows, mtp[0], mtp[1]);
            NDArray u = rows.add(projected.mul(projected.getNDArrayInternal().sigmoid()));
            return head(u);
        }
    }

    @Override
    protected void release() {
        sequence.passEnded(this);
        manager.close();
    }
}
