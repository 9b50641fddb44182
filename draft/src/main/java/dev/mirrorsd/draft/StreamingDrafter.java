package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.random.RandomGenerator;

/**
 * Speculative streaming: one draft forward proposes a token per head, the next-token head and the
 * multi-token heads predicting t+2, t+3, ..., so a chain of gamma tokens costs about gamma / heads
 * draft forwards. The target still verifies every token, so output stays lossless.
 */
public final class StreamingDrafter implements Drafter {
    private final ModelDrafter drafter;

    /** A draft with multi-token heads (see {@link DraftCheckpoint}); its vocabulary maps through {@code draftToTarget}. */
    public StreamingDrafter(CausalLM draft, int[] draftToTarget, int targetVocab, float confidenceThreshold) {
        this.drafter = new ModelDrafter(draft, draftToTarget, targetVocab, confidenceThreshold, 1, true, "streaming");
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        return drafter.open(sampling, random, capacity);
    }

    @Override
    public String name() {
        return drafter.name();
    }

    @Override
    public void close() {
        drafter.close();
    }
}
