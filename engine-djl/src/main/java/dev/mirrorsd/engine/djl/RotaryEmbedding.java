package dev.mirrorsd.engine.djl;

/**
 * RoPE angles in Hugging Face's "rotate half" layout, computed on the host in float32 exactly as
 * transformers' default rotary embedding does: inv_freq = 1 / theta^(2i/d), angle = pos * inv_freq,
 * duplicated over both halves of the head.
 */
final class RotaryEmbedding {
    private final float[] invFreq; // (headDim / 2)
    private final int headDim;

    RotaryEmbedding(int headDim, float theta) {
        this.headDim = headDim;
        this.invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            invFreq[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
    }

    /** Fills {@code cos} and {@code sin}, each {@code (positions, headDim)}, for the given positions. */
    void angles(int[] positions, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int r = 0; r < positions.length; r++) {
            int base = r * headDim;
            for (int i = 0; i < half; i++) {
                float angle = (float) positions[r] * invFreq[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[base + i] = c;
                cos[base + half + i] = c;
                sin[base + i] = s;
                sin[base + half + i] = s;
            }
        }
    }

    /**
     * The matrix R with {@code x @ R == rotate_half(x) = cat(-x2, x1)}, {@code (headDim, headDim)}:
     * one matmul instead of two slices, a negation and a concatenation.
     */
    float[] rotateHalfMatrix() {
        int half = headDim / 2;
        float[] r = new float[headDim * headDim];
        for (int i = 0; i < half; i++) {
            // output column i takes -x[half + i]; output column half + i takes x[i]
            r[(half + i) * headDim + i] = -1f;
            r[i * headDim + half + i] = 1f;
        }
        return r;
    }
}
