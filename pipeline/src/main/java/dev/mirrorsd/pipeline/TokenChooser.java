package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;

import java.util.random.RandomGenerator;

/**
 * Picks the next token from one row of logits under a request's sampling settings: argmax for
 * greedy decoding, a draw from the processed distribution otherwise, taken from the request's
 * generator ({@link dev.mirrorsd.core.sampling.RequestRandom#target()}), which the request's
 * verifier draws from too. One per request.
 */
final class TokenChooser {
    private final SamplingConfig config;
    private final LogitsProcessor processor;
    private final LogitsProcessor.Scratch scratch;
    private final TokenSampler sampler;
    private final float[] distribution; // (vocab)

    /** @param random the request's generator, shared with its verifier */
    TokenChooser(SamplingConfig config, int vocab, RandomGenerator random) {
        this.config = config;
        this.processor = new LogitsProcessor(config, vocab);
        this.scratch = processor.newScratch();
        this.sampler = TokenSampler.over(random);
        this.distribution = new float[vocab];
    }

    /** The request's generator: the verifier's draws continue the chooser's stream. */
    RandomGenerator random() {
        return sampler.random();
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
