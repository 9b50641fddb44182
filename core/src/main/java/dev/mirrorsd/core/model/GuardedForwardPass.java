package dev.mirrorsd.core.model;

/**
 * The checks every engine's forward pass makes, kept in one place so that all engines refuse the
 * same calls the same way: a closed pass refuses everything, layers run forward only and up to the
 * model's depth, multi-token heads need the last layer, rows lie inside the window. An engine
 * supplies the computation through the protected methods, each called only once the checks pass.
 */
public abstract class GuardedForwardPass implements ForwardPass {

    private final int windowRows;
    private final int layers;
    private int layersDone;
    private boolean closed;

    protected GuardedForwardPass(int windowRows, int layers) {
        this.windowRows = windowRows;
        this.layers = layers;
    }

    @Override
    public final int layers() {
        return layers;
    }

    @Override
    public final int layersDone() {
        return layersDone;
    }

    @Override
    public final void runTo(int layer) {
        requireOpen();
        if (layer < layersDone || layer > layers) {
            throw new IllegalArgumentException("runTo(" + layer + ") after " + layersDone + " of " + layers
                    + " layers: a pass runs forward, up to the model's depth");
        }
        if (layer > layersDone) {
            advance(layersDone, layer);
            layersDone = layer;
        }
    }

    /** Runs layers {@code from..to-1}; at {@code to == layers()} the window's rows join the cache. */
    protected abstract void advance(int from, int to);

    @Override
    public final Logits logits(int fromRow) {
        requireOpen();
        requireRow(fromRow);
        return readLogits(fromRow);
    }

    /** The final or, before the last layer, early-exit logits of rows {@code fromRow..}. */
    protected abstract Logits readLogits(int fromRow);

    @Override
    public final Logits logits(int fromRow, int[] vocabulary) {
        requireOpen();
        requireRow(fromRow);
        return readLogits(fromRow, vocabulary);
    }

    /** As {@link #readLogits(int)}, over {@code vocabulary}'s columns only; engines with a narrowed head override it. */
    protected Logits readLogits(int fromRow, int[] vocabulary) {
        return ForwardPass.super.logits(fromRow, vocabulary);
    }

    @Override
    public final Logits multiTokenLogits(int head, int fromRow) {
        requireOpen();
        int heads = multiTokenHeads();
        if (head < 0 || head >= heads) {
            throw new IllegalArgumentException("no multi-token head " + head + "; the model has " + heads);
        }
        if (layersDone != layers) {
            throw new IllegalStateException("multi-token heads read the last layer; run all layers first");
        }
        requireRow(fromRow);
        return readMultiTokenLogits(head, fromRow);
    }

    /** Head {@code head} (token t+2+head) for rows {@code fromRow..}. */
    protected Logits readMultiTokenLogits(int head, int fromRow) {
        throw new UnsupportedOperationException("this model has no multi-token heads");
    }

    @Override
    public final int hiddenStates(int fromRow, float[] out) {
        requireOpen();
        requireRow(fromRow);
        return readHiddenStates(fromRow, out);
    }

    /** As {@link ForwardPass#hiddenStates}; engines that keep the residual stream between layers override it. */
    protected int readHiddenStates(int fromRow, float[] out) {
        return ForwardPass.super.hiddenStates(fromRow, out);
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** Frees what the pass holds; called once. */
    protected abstract void release();

    private void requireRow(int fromRow) {
        if (fromRow < 0 || fromRow >= windowRows) {
            throw new IllegalArgumentException("fromRow " + fromRow + " outside a window of " + windowRows);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("forward pass is closed");
        }
    }
}
