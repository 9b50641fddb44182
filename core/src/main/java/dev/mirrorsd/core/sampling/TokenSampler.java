package dev.mirrorsd.core.sampling;

import java.util.random.RandomGenerator;

/**
 * Draws a token from a distribution with a given generator, or takes the argmax. A request's
 * sampler draws from its {@link RequestRandom}, never from a generator of its own (see there why);
 * not thread-safe, as its generator is not. The static methods are pure.
 */
public final class TokenSampler {

    private final RandomGenerator random;

    private TokenSampler(RandomGenerator random) {
        this.random = random;
    }

    /** A sampler drawing from {@code random}: a request's {@link RequestRandom} generator. */
    public static TokenSampler over(RandomGenerator random) {
        return new TokenSampler(random);
    }

    /** The generator, for callers (the verifier) that draw on the same stream. */
    public RandomGenerator random() {
        return random;
    }

    /** A token drawn from {@code probabilities}. */
    public int sample(float[] probabilities) {
        return sample(probabilities, 0, probabilities.length, random);
    }

    /**
     * A token drawn from {@code probabilities[offset .. offset+length)}, returned relative to
     * {@code offset}. The weights need not sum to 1 (they are scaled by their sum); they must be
     * {@code >= 0} with a positive sum.
     */
    public static int sample(float[] probabilities, int offset, int length, RandomGenerator random) {
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += probabilities[offset + i];
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            throw new IllegalArgumentException("cannot sample from weights summing to " + sum);
        }
        double u = random.nextDouble() * sum;
        double cumulative = 0;
        int lastPositive = -1;
        for (int i = 0; i < length; i++) {
            float p = probabilities[offset + i];
            if (p > 0) {
                cumulative += p;
                lastPositive = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return lastPositive; // rounding left u at the very top
    }

    /** Index of the highest value; the lowest index wins ties, as torch.argmax does. */
    public static int argmax(float[] values) {
        return argmax(values, 0, values.length);
    }

    /** Argmax of {@code values[offset .. offset+length)}, relative to {@code offset}; lowest index wins ties. */
    public static int argmax(float[] values, int offset, int length) {
        int best = 0;
        float bestValue = values[offset];
        for (int i = 1; i < length; i++) {
            float v = values[offset + i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return best;
    }
}
