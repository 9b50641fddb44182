package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.List;

/**
 * One request's settings, in Hugging Face {@code generate()}'s names.
 *
 * @param maxNewTokens       {@code max_new_tokens}: at most this many generated tokens, > 0
 * @param sampling           {@code do_sample}, {@code temperature}, {@code top_k}, {@code top_p},
 *                           {@code repetition_penalty}, {@code seed}; greedy by default, as in HF
 * @param stopStrings        {@code stop_strings}: generation ends once the text contains one; the
 *                           text is cut before it, the tokens are kept
 * @param ignoreEos          {@code ignore_eos} (vLLM): run on past end-of-sequence tokens
 * @param numAssistantTokens {@code num_assistant_tokens}: draft length gamma per round (for the
 *                           speculative strategies), > 0
 * @param dynamicDraftLength {@code num_assistant_tokens_schedule = "heuristic"}: gamma grows by 2
 *                           after a fully accepted round and shrinks by 1 otherwise, up to
 *                           2 x numAssistantTokens
 */
public record GenerationConfig(
        int maxNewTokens,
        SamplingConfig sampling,
        List<String> stopStrings,
        boolean ignoreEos,
        int numAssistantTokens,
        boolean dynamicDraftLength) {

    public GenerationConfig {
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be > 0, got " + maxNewTokens);
        }
        if (numAssistantTokens <= 0) {
            throw new IllegalArgumentException("num_assistant_tokens must be > 0, got " + numAssistantTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        for (String stop : stopStrings) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /** Greedy, 256 new tokens, gamma 4. */
    public static GenerationConfig defaults() {
        return new GenerationConfig(256, SamplingConfig.greedy(), List.of(), false, 4, false);
    }

    public GenerationConfig withMaxNewTokens(int n) {
        return new GenerationConfig(n, sampling, stopStrings, ignoreEos, numAssistantTokens, dynamicDraftLength);
    }

    public GenerationConfig withSampling(SamplingConfig s) {
        return new GenerationConfig(maxNewTokens, s, stopStrings, ignoreEos, numAssistantTokens, dynamicDraftLength);
    }

    public GenerationConfig withStopStrings(List<String> stops) {
        return new GenerationConfig(maxNewTokens, sampling, stops, ignoreEos, numAssistantTokens, dynamicDraftLength);
    }

    public GenerationConfig withIgnoreEos(boolean ignore) {
        return new GenerationConfig(maxNewTokens, sampling, stopStrings, ignore, numAssistantTokens, dynamicDraftLength);
    }

    public GenerationConfig withNumAssistantTokens(int gamma) {
        return new GenerationConfig(maxNewTokens, sampling, stopStrings, ignoreEos, gamma, dynamicDraftLength);
    }

    public GenerationConfig withDynamicDraftLength(boolean dynamic) {
        return new GenerationConfig(maxNewTokens, sampling, stopStrings, ignoreEos, numAssistantTokens, dynamic);
    }
}
