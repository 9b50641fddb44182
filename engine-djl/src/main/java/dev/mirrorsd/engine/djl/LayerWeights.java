package dev.mirrorsd.engine.djl;

import ai.djl.ndarray.NDArray;

/**
 * One decoder layer's weights as the forward pass uses them: {@code (out, in)} as torch's
 * {@code linear} takes them (its GEMM stays fast for windows of several rows, where a matmul with
 * {@code (in, out)} weights slowed 2.5x), q/k/v and gate/up fused, each RMSNorm's weight folded
 * into the columns of the projection that follows it, and 1/sqrt(head_dim) folded into the query rows.
 *
 * @param qkv     {@code ((heads + 2 * kvHeads) * headDim, hidden)}
 * @param qkvBias {@code ((heads + 2 * kvHeads) * headDim)}, or null
 * @param o       {@code (hidden, heads * headDim)}
 * @param oBias   {@code (hidden)}, or null
 * @param gateUp  {@code (2 * intermediate, hidden)}
 * @param down    {@code (hidden, intermediate)}
 */
record LayerWeights(NDArray qkv, NDArray qkvBias, NDArray o, NDArray oBias, NDArray gateUp, NDArray down) {
}
