package dev.mirrorsd.core.engine.djl;

import ai.djl.ndarray.NDArray;

/**
 * One decoder layer's weights as the forward pass uses them: transposed to {@code (in, out)} so a
 * projection is one matmul, q/k/v and gate/up fused, each RMSNorm's weight folded into the rows of
 * the projection that follows it, and 1/sqrt(head_dim) folded into the query columns.
 *
 * @param qkv     {@code (hidden, (heads + 2 * kvHeads) * headDim)}
 * @param qkvBias {@code ((heads + 2 * kvHeads) * headDim)}, or null
 * @param o       {@code (heads * headDim, hidden)}
 * @param oBias   {@code (hidden)}, or null
 * @param gateUp  {@code (hidden, 2 * intermediate)}
 * @param down    {@code (intermediate, hidden)}
 */
record LayerWeights(NDArray qkv, NDArray qkvBias, NDArray o, NDArray oBias, NDArray gateUp, NDArray down) {
}
