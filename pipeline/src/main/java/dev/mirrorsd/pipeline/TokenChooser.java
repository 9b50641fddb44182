package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;

/**
 * Picks the next token from one row of logits under a request's sampling settings: argmax for
 * greedy decoding, a seeded draw from the processed distribution otherwise. One per request.
 */
final class TokenChooser {
    private final SamplingConfig config;
    private final LogitsProcessor processor;
    private final LogitsProcessor.Scratch scratch;
    private final TokenSampler sampler;
    private final float[] distribution; // (vocab)

    TokenChooser(SamplingConfig config, int vocab) {
        this.config = config;
        this.processor = new LogitsProcessor(config, vocab);
        this.scratch = processor.newScratch();
        this.sampler = TokenSampler.forConfig(config);
        this.distribution = new float[vocab];
    }

    /** The token after {@code context[0..contextLength)}, given the logits of that position. */
    int choose(Logits logits, int row, int[] context, int contextLength) {
        if (config.isGreedy() && config.repetitionPenalty() == 1f) {
            return logits.argmax(row);
        }
        processor.process(logits.values(), row * logits.vocab(), context, contextLength, scratch, distribution);
        return config.isGreedy() ? TokenSampler.argmax(distribution) : sampler.sample(distribution);
    }
}
