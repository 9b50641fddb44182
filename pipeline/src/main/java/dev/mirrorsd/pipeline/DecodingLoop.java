package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

/**
 * The rounds after the prefill; one implementation per strategy family. A loop is made before the
 * prefill (Mirror-SD's draft pipeline prefills at the same time) and closed after the request.
 */
interface DecodingLoop extends AutoCloseable {

    /** Feeds the prompt into the target's empty cache; the logits of its last position. */
    default Logits prefill(Sequence target, int[] prompt) {
        return target.forward(Window.chain(prompt, 0), prompt.length - 1);
    }

    /**
     * Decodes until {@code output} is done or the request is cancelled. On entry the target's
     * cache holds the prompt, and {@code output} holds the prompt plus the first committed token,
     * which is not yet in the cache. On return, every committed token is in {@code output}.
     */
    void run(Sequence target, CommittedOutput output, RoundStats stats, Cancellation cancellation);

    /** Frees what the loop holds besides the target's cache (a draft session, a draft thread). */
    @Override
    default void close() {
    }
}
