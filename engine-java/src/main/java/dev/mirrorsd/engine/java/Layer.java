package dev.mirrorsd.engine.java;

/**
 * One decoder layer's weights. Matrices are {@code (out, in)}; norms and biases fp32. For a GGUF
 * Llama the q and k rows (and biases) stay in llama.cpp's permuted order, matched by interleaved
 * RoPE, so nothing is reordered at load.
 *
 * @param attnNorm {@code (hidden)}
 * @param q        {@code (heads * headDim, hidden)}
 * @param k        {@code (kvHeads * headDim, hidden)}
 * @param v        {@code (kvHeads * headDim, hidden)}
 * @param qBias    {@code (heads * headDim)} or null
 * @param kBias    {@code (kvHeads * headDim)} or null
 * @param vBias    {@code (kvHeads * headDim)} or null
 * @param o        {@code (hidden, heads * headDim)}
 * @param oBias    {@code (hidden)} or null
 * @param ffnNorm  {@code (hidden)}
 * @param gate     {@code (intermediate, hidden)}
 * @param up       {@code (intermediate, hidden)}
 * @param down     {@code (hidden, intermediate)}
 */
record Layer(float[] attnNorm, Matrix q, Matrix k, Matrix v, float[] qBias, float[] kBias, float[] vBias,
             Matrix o, float[] oBias, float[] ffnNorm, Matrix gate, Matrix up, Matrix down) {
}
