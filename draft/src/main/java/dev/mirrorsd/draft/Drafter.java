package dev.mirrorsd.draft;

import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.random.RandomGenerator;

/**
 * Proposes draft tokens for the target to verify. One drafter serves many requests; each request
 * opens its own {@link DraftSession}. Implementations are named for their policy:
 * {@link NgramDrafter} (prompt lookup), {@link ModelDrafter} (a draft model),
 * {@link EarlyExitDrafter} (the target's own first layers), {@link StreamingDrafter} (a draft
 * with multi-token heads).
 *
 * <p>Thread-safety: {@link #open} may be called from many threads.
 */
public interface Drafter extends AutoCloseable {

    /**
     * Starts drafting for one request.
     *
     * @param sampling the request's settings; a sampling drafter draws its tokens from the same
     *                 processed distribution as the target's and reports it
     * @param random   the request's draft generator ({@code RequestRandom.draft()}): every draw the
     *                 session makes takes from it, never from a generator seeded by the drafter
     * @param capacity most positions the request will reach (prompt + new tokens + one window)
     */
    DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity);

    /** The drafter's name as the API and the command line spell it. */
    String name();

    @Override
    default void close() {
    }
}
