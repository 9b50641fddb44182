package dev.mirrorsd.core.sampling;

/**
 * How the next token is chosen, in Hugging Face {@code GenerationConfig}'s names and meanings.
 * Speculative decoding applies it identically to the target and the draft (see
 * {@link LogitsProcessor}), which is what keeps sampled output lossless.
 *
 * @param doSample          {@code false}: greedy (argmax after the repetition penalty; temperature,
 *                          top-k and top-p are then ignored, as in HF); {@code true}: sample
 * @param temperature       logits are divided by it; {@code 1.0} = off. {@code 0} with
 *                          {@code doSample} means greedy (see {@link #isGreedy()}); must be {@code >= 0}
 * @param topK              keep the {@code topK} highest logits (ties with the k-th all kept, as HF's
 *                          {@code scores < kth} rule does); {@code 0} = off; must be {@code >= 0}
 * @param topP              nucleus: keep the smallest set of most likely tokens whose probability
 *                          sums to {@code >= topP}, always at least one; {@code 1.0} = off; in (0, 1]
 * @param repetitionPenalty HF's rule: for every distinct token already in the context, a positive
 *                          logit is divided by it and a negative one multiplied; {@code 1.0} = off;
 *                          must be {@code > 0}
 * @param seed              seeds the request's one random generator ({@link RequestRandom}), which
 *                          every draw of the request takes from: the same seed and settings give
 *                          the same output
 */
public record SamplingConfig(
        boolean doSample,
        float temperature,
        int topK,
        float topP,
        float repetitionPenalty,
        long seed) {

    public SamplingConfig {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite value >= 0, got " + temperature
                    + " (0 means greedy)");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1] (1.0 = off), got " + topP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite value > 0 (1.0 = off), got "
                    + repetitionPenalty);
        }
    }

    /** Greedy decoding, no penalty. */
    public static SamplingConfig greedy() {
        return new SamplingConfig(false, 1f, 0, 1f, 1f, 0L);
    }

    /** Sampling with the given warpers and no repetition penalty. */
    public static SamplingConfig sampling(float temperature, int topK, float topP, long seed) {
        return new SamplingConfig(true, temperature, topK, topP, 1f, seed);
    }

    public SamplingConfig withRepetitionPenalty(float penalty) {
        return new SamplingConfig(doSample, temperature, topK, topP, penalty, seed);
    }

    /**
     * Whether tokens are chosen by argmax: {@code doSample == false}, or {@code temperature == 0}
     * (the limit of dividing by a vanishing temperature; HF rejects it, we read it as greedy).
     */
    public boolean isGreedy() {
        return !doSample || temperature == 0f;
    }
}
