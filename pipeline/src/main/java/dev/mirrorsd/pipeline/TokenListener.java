package dev.mirrorsd.pipeline;

/**
 * Receives tokens as they are committed. Called on the generating thread; keep it quick. Text
 * deltas hold only complete UTF-8 characters, so a multi-byte character split across tokens
 * arrives whole with the token that completes it.
 */
@FunctionalInterface
public interface TokenListener {

    /** {@code tokenIds} were committed; {@code textDelta} is the new text they complete. */
    void onTokens(int[] tokenIds, String textDelta);

    TokenListener NONE = (ids, text) -> { };
}
