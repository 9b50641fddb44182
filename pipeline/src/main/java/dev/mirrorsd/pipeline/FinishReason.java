package dev.mirrorsd.pipeline;

/** Why a generation ended, in OpenAI/vLLM terms. */
public enum FinishReason {
    /** An end-of-sequence token or a stop string. */
    STOP,
    /** max_new_tokens reached, or the context is full. */
    LENGTH,
    /** The caller cancelled. */
    CANCELLED
}
