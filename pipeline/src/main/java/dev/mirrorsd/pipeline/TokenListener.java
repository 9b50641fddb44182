package dev.mirrorsd.pipeline;

/**
 * Receives tokens as they are committed. Called on the generating thread; keep it quick. Text
 * deltas hold only complete UTF-8 characters, so a multi-byte character split across tokens
 * arrives whole with the token that completes it.
 */
@FunctionalInterface
public interface TokenListener {

    /**
     * {@code tokenIds} were committed; {@code textDelta} is the new text they complete. With stop
     * strings set, the last (longest stop - 1) characters of text arrive with a later call (or the
     * last one), since a stop string may begin in them and the text is cut before it.
     */
    void onTokens(int[] tokenIds, String textDelta);

    TokenListener NONE = (ids, text) -> { };
}
