package dev.mirrorsd.pipeline;

/**
 * A request that failed after it started: the target's engine threw (a device lost, memory
 * exhausted) or a token listener did. Carries what the request had committed, which the caller may
 * show or resume from; every cache the request allocated has been freed, and the generator serves
 * the next request. Bad input is refused before this point, with an {@link IllegalArgumentException}.
 */
public final class GenerationException extends RuntimeException {
    private final int[] committedTokens;
    private final String partialText;

    GenerationException(int[] committedTokens, String partialText, RuntimeException cause) {
        super("generation failed after " + committedTokens.length + " committed tokens: " + cause, cause);
        this.committedTokens = committedTokens;
        this.partialText = partialText;
    }

    /** Token ids committed before the failure (the prompt excluded); may be empty. */
    public int[] committedTokens() {
        return committedTokens.clone();
    }

    /** The text of {@link #committedTokens()} as far as it was streamed. */
    public String partialText() {
        return partialText;
    }
}
