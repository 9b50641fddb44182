package dev.mirrorsd.core.testing;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.weights.ModelWeights;

/**
 * The final RMS norm and LM head in plain Java, in double precision: what an engine's logits must
 * be over the hidden states it reports, whatever the engine.
 */
public final class ReferenceHead {
    private ReferenceHead() {
    }

    /** The logits of {@code weights}' head over one hidden row of {@code hiddenSize} floats. */
    public static float[] logits(ModelWeights weights, float[] hidden) {
        ModelConfig c = weights.config();
        float[] norm = weights.require(ModelWeights.FINAL_NORM).data();
        float[] lmHead = weights.require(c.tieWordEmbeddings() ? ModelWeights.EMBED : ModelWeights.LM_HEAD).data();
        double squares = 0;
        for (float v : hidden) {
            squares += v * v;
        }
        double scale = 1 / Math.sqrt(squares / hidden.length + c.rmsNormEps());
        float[] logits = new float[c.vocabSize()];
        for (int t = 0; t < logits.length; t++) {
            double sum = 0;
            for (int i = 0; i < hidden.length; i++) {
                sum += hidden[i] * scale * norm[i] * lmHead[t * hidden.length + i];
            }
            logits[t] = (float) sum;
        }
        return logits;
    }
}
