package dev.mirrorsd.engine.onnx;

import dev.mirrorsd.core.model.GuardedForwardPass;
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
final class OnnxForwardPass extends GuardedForwardPass {

    private final OnnxSequence sequence;
    private final Window window;
    private final Set<Integer> exitLayers;
    private OnnxSequence.GraphOutput output; // set by the first runTo past layer 0

    OnnxForwardPass(OnnxSequence sequence, Window window, int layers, Set<Integer> exitLayers) {
        super(window.size(), layers);
        this.sequence = sequence;
        this.window = window;
        this.exitLayers = new TreeSet<>(exitLayers);
    }

    @Override
    protected void advance(int from, int layer) {
        int layers = layers();
        if (layer < layers && !exitLayers.contains(layer)) {
            throw new UnsupportedOperationException("ONNX export runs all layers at once; it stops only at layer "
                    + layers + " or at the early-exit layers it was exported with " + exitLayers + " (asked for "
                    + layer + "); re-export with --early-exit-layer " + layer + " or use the DJL engine");
        }
        if (output == null) {
            output = sequence.run(window);
        }
        if (layer == layers) {
            sequence.commit(output);
        }
    }

    @Override
    protected Logits readLogits(int fromRow) {
        int layersDone = layersDone();
        if (layersDone == 0) {
            throw new IllegalStateException("no layer has run yet; call runTo first");
        }
        float[] all = layersDone == layers() ? output.logits() : output.exitLogits().get(layersDone);
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
    protected Logits readMultiTokenLogits(int head, int fromRow) {
        return Logits.ofHead(output.mtpLogits(), window.size(), multiTokenHeads(), head, fromRow);
    }

    @Override
    protected void release() {
        output = null;
        sequence.passEnded(this);
    }
}
