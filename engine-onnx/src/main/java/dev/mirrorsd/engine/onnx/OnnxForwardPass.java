package dev.mirrorsd.engine.onnx;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Window;
import java.util.Set;
import java.util.TreeSet;

/**
 * A forward pass of the exported graph, which runs every layer in one call. {@link #runTo} stops
 * only at the last layer or at an early-exit layer the graph was exported with
 * ({@code --early-exit-layer K}); the first such call runs the graph, later ones reuse its outputs.
 * The cache grows when the last layer has run; a pass closed before that leaves it as it was.
 * Logits are {@code logits_width} wide (the LM head's rows); a graph with {@code mtp_logits} also
 * gives its multi-token heads once the last layer has run.
 */
final class OnnxForwardPass implements ForwardPass {

    private final OnnxSequence sequence;
    private final Window window;
    private final int layers;
    private final Set<Integer> exitLayers;
    private OnnxSequence.GraphOutput output; // set by the first runTo past layer 0
    private int layersDone;
    private boolean closed;

    OnnxForwardPass(OnnxSequence sequence, Window window, int layers, Set<Integer> exitLayers) {
        this.sequence = sequence;
        this.window = window;
        this.layers = layers;
        this.exitLayers = new TreeSet<>(exitLayers);
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int layersDone() {
        return layersDone;
    }

    @Override
    public void runTo(int layer) {
        requireOpen();
        if (layer < layersDone || layer > layers) {
            throw new IllegalArgumentException("runTo(" + layer + ") with " + layersDone + " of " + layers
                    + " layers done");
        }
        if (layer == layersDone) {
            return;
        }
        if (layer < layers && !exitLayers.contains(layer)) {
            throw new UnsupportedOperationException("ONNX export runs all layers at once; it stops only at layer "
                    + layers + " or at the early-exit layers it was exported with " + exitLayers + " (asked for "
                    + layer + "); re-export with --early-exit-layer " + layer + " or use the DJL engine");
        }
        if (output == null) {
            output = sequence.run(window);
        }
        layersDone = layer;
        if (layer == layers) {
            sequence.commit(output);
        }
    }

    @Override
    public Logits logits(int fromRow) {
        requireOpen();
        if (layersDone == 0) {
            throw new IllegalStateException("no layer has run yet; call runTo first");
        }
        requireRow(fromRow);
        float[] all = layersDone == layers ? output.logits() : output.exitLogits().get(layersDone);
        int vocab = all.length / window.size();
        float[] rows = new float[(window.size() - fromRow) * vocab];
        System.arraycopy(all, fromRow * vocab, rows, 0, rows.length);
        return new Logits(window.size() - fromRow, vocab, rows);
    }

    @Override
    public int multiTokenHeads() {
        return sequence.multiTokenHeads();
    }

    /** Head {@code head} of the graph's {@code mtp_logits} (token t+2+head) for rows {@code fromRow..}. */
    @Override
    public Logits multiTokenLogits(int head, int fromRow) {
        requireOpen();
        if (layersDone != layers) {
            throw new IllegalStateException("multi-token heads read the last layer; run all layers first");
        }
        int heads = multiTokenHeads();
        if (head < 0 || head >= heads) {
            throw new IllegalArgumentException("no multi-token head " + head + "; the model has " + heads);
        }
        requireRow(fromRow);
        return Logits.ofHead(output.mtpLogits(), window.size(), heads, head, fromRow);
    }

    private void requireRow(int fromRow) {
        if (fromRow < 0 || fromRow >= window.size()) {
            throw new IllegalArgumentException("fromRow " + fromRow + " outside a window of " + window.size());
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("forward pass is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            output = null;
            sequence.passClosed(this);
        }
    }
}
