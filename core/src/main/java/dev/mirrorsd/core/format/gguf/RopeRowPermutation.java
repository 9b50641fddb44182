package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.weights.HostTensor;

/**
 * Undoes the row permutation llama.cpp's converter applies to q_proj and k_proj for the llama
 * architecture. Hugging Face rotates each head's two halves against each other (rotate_half);
 * llama.cpp's RoPE rotates adjacent pairs, so its converter reorders each head's rows:
 * {@code w.reshape(n_head, 2, half, ...).swapaxes(1, 2)}. Within a head, GGUF row {@code 2j + k}
 * holds Hugging Face row {@code k * half + j} ({@code k} in {0, 1}, {@code j < half}).
 */
final class RopeRowPermutation {
    private RopeRowPermutation() {
    }

    /** The tensor (weight or bias) with Hugging Face's row order; {@code heads} = head count of its projection. */
    static HostTensor toHuggingFace(HostTensor t, int heads, String name) {
        long rows = t.dim(0);
        if (heads <= 0 || rows % (2L * heads) != 0) {
            throw new ModelFormatException(name + ": " + rows + " rows do not split into " + heads
                    + " heads of an even width");
        }
        int cols = (int) (t.data().length / rows);
        int headDim = (int) (rows / heads);
        int half = headDim / 2;
        float[] src = t.data();
        float[] dst = new float[src.length];
        for (int h = 0; h < heads; h++) {
            int head = h * headDim;
            for (int j = 0; j < half; j++) {
                for (int k = 0; k < 2; k++) {
                    int from = head + 2 * j + k;
                    int to = head + k * half + j;
                    System.arraycopy(src, from * cols, dst, to * cols, cols);
                }
            }
        }
        return new HostTensor(t.shape(), dst);
    }
}
