package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.model.GuardedForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Window;
import java.util.List;

/**
 * A window's pass through an {@link AotiCausalLM}'s stages. The window's inputs go to the device
 * once; each stage's hidden state stays there and feeds the next; logits come back to the host
 * when asked for. Not thread-safe.
 */
final class AotiForwardPass extends GuardedForwardPass {

    private final AotiCausalLM model;
    private final AotiSequence sequence;
    private final Window window;
    private final int layers;
    // token ids, positions, cache slots (int64, W each) and the additive mask (float32, (W, P + W);
    // (W, P + W rounded up) when graphed, where the step owns them)
    private final AotiCausalLM.StepInputs inputs;
    private final boolean graphed;          // inputs are the model's step inputs; stages replay CUDA graphs
    private long stepKey;                   // the CUDA graph step when graphed
    private DeviceTensor hidden;            // (W, hidden_size) after the last stage run, or null
    private DeviceTensor logitsOut;         // float32 (W, width) once every layer has run
    private float[] finalLogits;            // host copy of logitsOut
    private float[] mtpLogits;              // (W, heads, width) host copy, once asked for
    private int stagesDone;

    AotiForwardPass(AotiCausalLM model, AotiSequence sequence, Window window) {
        super(window.size(), model.config().numLayers());
        this.model = model;
        this.sequence = sequence;
        this.window = window;
        this.layers = model.config().numLayers();
        int past = sequence.length();
        int w = window.size();
        this.graphed = sequence.graphed() && w <= model.graphWindow();
        int stride = AotiCausalLM.intsStride(w);
        long[] ints = new long[3 * stride]; // token ids, positions, cache slots
        for (int r = 0; r < w; r++) {
            ints[r] = window.tokens()[r];
            ints[stride + r] = window.positions()[r];
            ints[2 * stride + r] = past + r;
        }
        float masked = model.manifest().maskedValue();
        AotiCausalLM.StepInputs in;
        if (graphed) {
            // the step's own input tensors: a CUDA graph replays their addresses
            int width = model.attendedWidth(past + w);
            this.stepKey = AotiCausalLM.stepKey(w, width);
            in = model.stepInputs(w, width);
            in.ints().write(ints);
            in.mask().write(mask(window, past, width, masked));
        } else {
            in = AotiCausalLM.StepInputs.upload(model.stream(), ints, mask(window, past, past + w, masked), w, past + w);
        }
        this.inputs = in;
    }

    /** Row r sees every cached slot and the window rows on its path to the root: (W, past + W), row-major. */
    static float[] mask(Window window, int past, float masked) {
        return mask(window, past, past + window.size(), masked);
    }

    /** The same, {@code cols} wide ({@code >= past + W}): the columns after the window are masked too. */
    static float[] mask(Window window, int past, int cols, float masked) {
        int w = window.size();
        float[] out = new float[w * cols];
        for (int r = 0; r < w; r++) {
            int base = r * cols;
            java.util.Arrays.fill(out, base + past, base + cols, masked);
            for (int a = r; a >= 0; a = window.parents()[a]) {
                out[base + past + a] = 0f;
            }
        }
        return out;
    }

    @Override
    protected void advance(int layersDone, int layer) {
        List<Integer> stops = model.manifest().stopLayers();
        if (!stops.contains(layer)) {
            String hint = layer < layers
                    ? " (an early exit, e.g. Mirror-SD's l_e, must be one of them: set l_e to "
                    + model.manifest().exitLayers() + " or export the target again with --exit-layer " + layer + ")"
                    : "";
            throw new IllegalArgumentException("runTo(" + layer + ") after " + layersDone + " layers: this model's"
                    + " compiled stages stop only after layers " + stops + hint);
        }
        for (int done = layersDone; done < layer; ) {
            done = runStage();
        }
    }

    /** Runs the next compiled stage; returns the layers done after it. */
    private int runStage() {
        AotiManifest.Stage stage = model.manifest().stages().get(stagesDone);
        AotiGraph graph = model.stages().get(stagesDone);
        DeviceTensor input = stage.takesTokens() ? inputs.tokens() : hidden;
        DeviceTensor[] out = run(graph, input, inputs.positions(), inputs.mask(), inputs.writeIndex(), sequence.cache());
        DeviceTensor next = null;
        for (int i = 0; i < out.length; i++) {
            String name = stage.outputs().get(i);
            if (name.equals("hidden")) {
                next = out[i];
            } else {
                logitsOut = out[i];
            }
        }
        if (hidden != null) {
            hidden.close();
        }
        hidden = next;
        stagesDone++;
        if (stage.endLayer() == layers) {
            sequence.passCommitted(window.size());
        }
        return stage.endLayer();
    }

    /**
     * The final logits once every layer has run; at an early-exit layer (a stage boundary of a
     * model exported with an exit head), the exit head's proxy logits.
     */
    @Override
    protected Logits readLogits(int fromRow) {
        int layersDone = layersDone();
        int w = window.size();
        if (layersDone == layers) {
            if (fromRow == 0 && finalLogits == null) {
                // the whole window, as a verifier asks for it: handed over without a copy (a later
                // call reads the device again), since a tree's rows make megabytes a round
                return slice(logitsOut.toFloats(), w, 0);
            }
            if (finalLogits == null) {
                finalLogits = logitsOut.toFloats();
            }
            return slice(fromRow == 0 ? finalLogits.clone() : finalLogits, w, fromRow);
        }
        if (layersDone == 0) {
            throw new IllegalStateException("no layer has run yet; call runTo first");
        }
        if (model.exitHead() == null) {
            throw new IllegalStateException("logits after " + layersDone + " layers need an exit head: export with"
                    + " --exit-layer " + layersDone);
        }
        DeviceTensor[] out = run(model.exitHead(), hidden);
        try {
            return slice(out[0].toFloats(), w, fromRow);
        } finally {
            out[0].close();
        }
    }

    /**
     * The residual stream where the last stage run stopped: a feature layer must be one of the
     * export's stage boundaries below the last layer (its early exit, e.g. l_e).
     */
    @Override
    protected int readHiddenStates(int fromRow, float[] out) {
        if (hidden == null) {
            throw new IllegalStateException("hidden states after " + layersDone() + " layers: this model's compiled"
                    + " stages keep them only where they stop below the last layer, after layers "
                    + model.manifest().exitLayers() + " (export again with --exit-layer N for a feature layer N)");
        }
        float[] all = hidden.toFloats();
        int n = all.length - fromRow * model.config().hiddenSize();
        System.arraycopy(all, all.length - n, out, 0, n);
        return n;
    }

    private DeviceTensor[] run(AotiGraph graph, DeviceTensor... args) {
        return graphed ? graph.runStep(stepKey, args) : graph.run(args);
    }

    /** Rows {@code fromRow..} of {@code all}; from row 0, {@code all} itself, which must be the caller's own. */
    private static Logits slice(float[] all, int rows, int fromRow) {
        int width = all.length / rows;
        if (fromRow == 0) {
            return new Logits(rows, width, all);
        }
        float[] out = new float[(rows - fromRow) * width];
        System.arraycopy(all, fromRow * width, out, 0, out.length);
        return new Logits(rows - fromRow, width, out);
    }

    @Override
    public int multiTokenHeads() {
        return model.manifest().mtpHeads();
    }

    @Override
    protected Logits readMultiTokenLogits(int head, int fromRow) {
        int heads = multiTokenHeads();
        if (mtpLogits == null) {
            DeviceTensor[] out = run(model.mtpHead(), hidden);
            try {
                mtpLogits = out[0].toFloats();
            } finally {
                out[0].close();
            }
        }
        return Logits.ofHead(mtpLogits, window.size(), heads, head, fromRow);
    }

    @Override
    protected void release() {
        if (!graphed) {
            inputs.close();
        }
        for (DeviceTensor d : new DeviceTensor[] {hidden, logitsOut}) {
            if (d != null) {
                d.close();
            }
        }
        sequence.passEnded(this);
    }
}
