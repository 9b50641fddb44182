package dev.mirrorsd.pipeline.ring;

/**
 * A preallocated, mutable message of one decoding round, carried by a {@link TokenChannel}.
 *
 * <p>Instances are created once per ring slot (and once per receiver, as the copy it reads), with a
 * fixed capacity, and are overwritten for every message: nothing is allocated per message.
 *
 * @param <E> the implementing class itself
 */
public interface RoundMessage<E extends RoundMessage<E>> {

    /** The round this message belongs to; rounds count up from 0 within one generation. */
    long roundId();

    /**
     * Overwrites this message with {@code source}'s content (only the used part of its arrays).
     *
     * @throws IllegalArgumentException if the content does not fit this message's capacity
     */
    void copyFrom(E source);
}
