package dev.mirrorsd.specbench;

import dev.mirrorsd.core.model.ModelConfig;

/**
 * Bytes of weights a batch-1 decode step reads: every projection of every layer and the LM head
 * (the embedding lookup reads one row, which we ignore). With fp32 weights that is 4 bytes each.
 */
public final class WeightTraffic {
    private WeightTraffic() {
    }

    public static long bytesPerToken(ModelConfig c, int bytesPerWeight) {
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long perLayer = hidden * (q + 2 * kv) + q * hidden + 3 * hidden * c.intermediateSize();
        long head = (long) c.vocabSize() * hidden;
        return (perLayer * c.numLayers() + head) * bytesPerWeight;
    }
}
