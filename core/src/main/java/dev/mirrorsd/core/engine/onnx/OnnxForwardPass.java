package dev.mirrorsd.core.engine.onnx;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Window;

/**
 * A forward pass of the exported graph, which runs every layer in one call: {@link #runTo} takes
 * no layer between the first and the last. The cache grows when the last layer has run.
 */
final class OnnxForwardPass implements ForwardPass {

    private final OnnxSequence sequence;
    private final Window window;
    private final int layers;
    private final int vocab;
    private float[] logits; // (window, vocab) once every layer has run
    private boolean closed;

    OnnxForwardPass(OnnxSequence sequence, Window window, int layers, int vocab) {
        this.sequence = sequence;
        this.window = window;
        this.layers = layers;
        this.vocab = vocab;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int layersDone() {
        return logits == null ? 0 : layers;
    }

    @Override
    public void runTo(int layer) {
        requireOpen();
        if (layer < layersDone() || layer > layers) {
            throw new IllegalArgumentException("runTo(" + layer + ") with " + layersDone() + " of " + layers
                    + " layers done");
        }
        if (layer == layersDone()) {
            return;
        }
        if (layer < layers) {
            throw new UnsupportedOperationException(
                    "ONNX export runs all layers at once; early exit needs the DJL engine (asked for layer " + layer
                            + " of " + layers + ")");
        }
        logits = sequence.run(window);
    }

    @Override
    public Logits logits(int fromRow) {
        requireOpen();
        if (logits == null) {
            throw new UnsupportedOperationException(
                    "ONNX export has no early-exit head; run all " + layers + " layers before reading logits");
        }
        if (fromRow < 0 || fromRow >= window.size()) {
            throw new IllegalArgumentException("fromRow " + fromRow + " outside a window of " + window.size());
        }
        float[] rows = new float[(window.size() - fromRow) * vocab];
        System.arraycopy(logits, fromRow * vocab, rows, 0, rows.length);
        return new Logits(window.size() - fromRow, vocab, rows);
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
            logits = null;
            sequence.passClosed(this);
        }
    }
}
