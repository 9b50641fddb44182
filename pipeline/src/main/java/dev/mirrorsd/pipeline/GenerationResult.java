package dev.mirrorsd.pipeline;

/**
 * @param text         the generated text (without the prompt, end-of-sequence tokens or a stop string)
 * @param tokenIds     every committed token id, an end-of-sequence token included
 * @param finishReason why generation ended
 * @param stats        what the request did
 */
public record GenerationResult(String text, int[] tokenIds, FinishReason finishReason, GenerationStats stats) {

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }
}
