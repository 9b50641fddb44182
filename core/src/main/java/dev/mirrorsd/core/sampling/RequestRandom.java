package dev.mirrorsd.core.sampling;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A request's one source of randomness, as vLLM gives each request one generator: seeded once with
 * {@link SamplingConfig#seed()}, it serves every draw the request makes, so that no two draws share
 * a uniform and one seed reproduces the whole output.
 *
 * <ul>
 *   <li>{@link #target()}: the draws of the request's own thread, in the order it makes them: the
 *       token after the prefill, every autoregressive step, and the verifier's acceptance tests,
 *       corrections and bonus tokens.</li>
 *   <li>{@link #draft()}: the draft's draws (its sampled chain or tree, Mirror-SD's branch rollouts
 *       and fresh drafts), from a child split off the request's generator as the request starts.
 *       The draft runs on a thread of its own under Mirror-SD and under a draft deadline (where a
 *       call given up may still be drawing), so it must not draw from the target's generator;
 *       {@link SplittableRandom#split()} makes a stream independent of its parent's, and, split
 *       before any draw, one that the seed alone decides.</li>
 * </ul>
 *
 * <p>No component may seed a generator of its own from the request's seed, or from a simple
 * function of it: two generators seeded alike draw the same numbers, and {@code seed ^ c}, with
 * {@code c} SplittableRandom's own increment, gives for many seeds (0, 2, 8, ...) the same stream
 * one draw on. That ties draws that must be independent, such as the token after the prefill and
 * the first rejection test, and skews the joint distribution of the output while every token's
 * marginal still looks right.
 *
 * <p>Not thread-safe: {@link #target()} belongs to the request's thread, {@link #draft()} to the
 * draft's.
 */
public final class RequestRandom {
    private final SplittableRandom target;
    private final SplittableRandom draft;

    private RequestRandom(long seed) {
        this.target = new SplittableRandom(seed);
        this.draft = target.split();
    }

    /** The random source of a request seeded with {@code seed}. */
    public static RequestRandom seeded(long seed) {
        return new RequestRandom(seed);
    }

    /** The random source of a request with these settings (greedy requests draw nothing from it). */
    public static RequestRandom of(SamplingConfig config) {
        return seeded(config.seed());
    }

    /** The generator of the request's own thread: token choice and verification. */
    public RandomGenerator target() {
        return target;
    }

    /** The draft's generator, independent of {@link #target()}: every call returns the same one. */
    public RandomGenerator draft() {
        return draft;
    }
}
