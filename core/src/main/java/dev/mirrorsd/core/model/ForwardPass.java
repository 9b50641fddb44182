package dev.mirrorsd.core.model;

/**
 * A forward pass in progress, stoppable between layers. Mirror-SD runs the target to the
 * early-exit layer, reads proxy logits there, then runs on to the last layer.
 */
public interface ForwardPass extends AutoCloseable {

    /** Decoder layers of the model. */
    int layers();

    /** Layers run so far. */
    int layersDone();

    /** Runs layers {@code layersDone()..layer-1}. */
    void runTo(int layer);

    /**
     * The final norm and LM head applied to the current hidden state of rows {@code fromRow..}:
     * the model's logits once every layer has run, an early-exit proxy before that.
     */
    Logits logits(int fromRow);

    /**
     * The logits of {@code vocabulary}'s token ids only, columns in its order, for rows
     * {@code fromRow..}: Mirror-SD's early-exit proxy over a frequent subset costs a fraction of the
     * full LM head (the target's head alone is a fifth of its weights). Engines keep the narrowed
     * head of the last array they were given, so pass the same array every time.
     */
    default Logits logits(int fromRow, int[] vocabulary) {
        Logits full = logits(fromRow);
        float[] values = new float[full.rows() * vocabulary.length];
        for (int r = 0; r < full.rows(); r++) {
            for (int i = 0; i < vocabulary.length; i++) {
                values[r * vocabulary.length + i] = full.get(r, vocabulary[i]);
            }
        }
        return new Logits(full.rows(), vocabulary.length, values);
    }

    /** Extra heads predicting tokens t+2, t+3, ... from the last layer (speculative streaming); 0 if none. */
    default int multiTokenHeads() {
        return 0;
    }

    /**
     * Logits of multi-token head {@code head} (predicting token t+2+head) for rows {@code fromRow..},
     * once every layer has run.
     */
    default Logits multiTokenLogits(int head, int fromRow) {
        throw new UnsupportedOperationException("this model has no multi-token heads");
    }

    /**
     * Writes the residual stream of rows {@code fromRow..} after {@link #layersDone()} layers, before
     * the final norm (Hugging Face's {@code hidden_states[layersDone()]}), into {@code out} as
     * {@code (rows, hiddenSize)} row-major, and returns the number of floats written. A
     * feature-conditioned draft reads it at a few layers at or below the early-exit layer; the
     * caller owns {@code out}, so a loop can reuse one buffer.
     */
    default int hiddenStates(int fromRow, float[] out) {
        throw new UnsupportedOperationException("this engine does not expose hidden states");
    }

    /** Frees the pass's intermediate tensors; the cache keeps what the layers appended. */
    @Override
    void close();
}
