package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.PrefillProgress;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.util.Arrays;

/**
 * Runs the target's windows as usual, and on the way reads the hidden states a feature-conditioned
 * draft wants (EAGLE's features) at its layers: the pass stops at each, copies the residual
 * stream of every row, and runs on. The target's logits are those of an uninterrupted pass. One
 * per request; not thread-safe.
 */
final class FeatureTap {
    private final int[] layers;
    private final int hidden;
    private float[] rows = new float[0];    // (window rows, layers * hidden)
    private float[] oneLayer = new float[0]; // (window rows, hidden), when several layers are read
    private String failure;                  // why the target gave no features, or null

    FeatureTap(int[] layers, int hidden) {
        this.layers = layers.clone();
        this.hidden = hidden;
    }

    /** Floats per row of {@link #features()}. */
    int width() {
        return layers.length * hidden;
    }

    /** The last window's features, row-major: row r's layers in order. */
    float[] features() {
        return rows;
    }

    /** Why the last windows gave no features (the target's engine exposes no hidden states), or null. */
    String failure() {
        return failure;
    }

    /**
     * All layers over {@code window}; logits of rows {@code fromRow..}; the features of every row
     * kept. A target whose engine exposes no hidden states still runs the whole pass; {@link #failure}
     * then says why there are no features.
     */
    Logits forward(Sequence target, Window window, int fromRow) {
        try (ForwardPass pass = target.begin(window)) {
            capture(pass, window.size());
            pass.runTo(pass.layers());
            return pass.logits(fromRow);
        }
    }

    /**
     * The prompt, in pieces the target takes whole (a chunked pass keeps no hidden states of its
     * head rows); {@link #features()} then holds every prompt row's. Logits of the last row.
     */
    Logits prefill(Sequence target, int[] prompt) {
        int piece = Math.max(1, target.maxWindow());
        if (prompt.length <= piece) {
            return forward(target, Window.chain(prompt, 0), prompt.length - 1);
        }
        int width = width();
        float[] all = new float[prompt.length * width];
        Logits logits = null;
        for (int from = 0; from < prompt.length; from += piece) {
            int to = Math.min(prompt.length, from + piece);
            try (ForwardPass pass = target.begin(Window.chain(Arrays.copyOfRange(prompt, from, to), from))) {
                boolean captured = capture(pass, to - from);
                pass.runTo(pass.layers());
                if (to == prompt.length) {
                    logits = pass.logits(to - from - 1);
                }
                if (captured) {
                    System.arraycopy(rows, 0, all, from * width, (to - from) * width);
                }
            }
            PrefillProgress.fed(to, prompt.length);
        }
        if (failure == null) {
            rows = all;
        }
        return logits;
    }

    /**
     * Runs {@code pass} to each feature layer in turn and keeps the features of its {@code rows}
     * rows; the pass is left at the last feature layer. False (and {@link #failure} set) when the
     * engine exposes no hidden states.
     */
    boolean capture(ForwardPass pass, int rows) {
        int width = width();
        if (this.rows.length < rows * width) {
            this.rows = new float[rows * width];
        }
        for (int l = 0; l < layers.length && failure == null; l++) {
            pass.runTo(layers[l]);
            try {
                pass.hiddenStates(0, layers.length == 1 ? this.rows : oneLayer(rows));
            } catch (UnsupportedOperationException e) {
                failure = "the target's engine gives no hidden states for a feature draft: " + e.getMessage();
                break;
            }
            if (layers.length == 1) {
                continue;
            }
            for (int r = 0; r < rows; r++) {
                System.arraycopy(oneLayer, r * hidden, this.rows, r * width + l * hidden, hidden);
            }
        }
        return failure == null;
    }

    private float[] oneLayer(int n) {
        if (oneLayer.length < n * hidden) {
            oneLayer = new float[n * hidden];
        }
        return oneLayer;
    }
}
