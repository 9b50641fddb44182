package dev.mirrorsd.engine.java;

/**
 * Rotary position embedding in either pairing. Hugging Face's layout (and GGUF's for Qwen2, NeoX
 * style) rotates element {@code i} against {@code i + headDim/2}; llama.cpp permutes a Llama's q/k
 * rows so that adjacent elements {@code 2i, 2i+1} pair instead, and this engine keeps the file's
 * rows, so it rotates the way the file was written. Angles are computed in float exactly as
 * transformers' default rotary embedding does.
 */
final class Rope {
    private final float[] invFreq; // (headDim / 2)
    private final int headDim;
    private final boolean interleaved;

    Rope(int headDim, float theta, boolean interleaved) {
        this.headDim = headDim;
        this.interleaved = interleaved;
        this.invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            invFreq[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
    }

    /** {@code cos} and {@code sin}, each {@code (positions, headDim / 2)}. */
    void angles(int[] positions, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) positions[r] * invFreq[i];
                cos[r * half + i] = (float) Math.cos(angle);
                sin[r * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** Rotates {@code heads} heads of row {@code row} of {@code x (rows, heads * headDim)} in place. */
    void apply(float[] x, int row, int heads, float[] cos, float[] sin) {
        int half = headDim / 2;
        int width = heads * headDim;
        for (int h = 0; h < heads; h++) {
            int base = row * width + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = interleaved ? base + 2 * i : base + i;
                int b = interleaved ? a + 1 : a + half;
                float c = cos[row * half + i];
                float s = sin[row * half + i];
                float x0 = x[a];
                float x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x1 * c + x0 * s;
            }
        }
    }
}
