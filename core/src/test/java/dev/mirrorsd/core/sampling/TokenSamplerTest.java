package dev.mirrorsd.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

class TokenSamplerTest {

    @Test
    void argmaxShouldPickLowestIndexOnTies() {
        assertEquals(1, TokenSampler.argmax(new float[] {0f, 3f, 1f, 3f}));
        assertEquals(0, TokenSampler.argmax(new float[] {2f, 2f}));
        assertEquals(1, TokenSampler.argmax(new float[] {9f, 0f, 5f, 5f}, 1, 3));
    }

    @Test
    void shouldBeReproducibleGivenTheSeed() {
        float[] p = {0.1f, 0.2f, 0.3f, 0.4f};
        int[] a = new int[100];
        int[] b = new int[100];
        TokenSampler first = TokenSampler.over(new SplittableRandom(42));
        TokenSampler second = TokenSampler.over(new SplittableRandom(42));
        for (int i = 0; i < a.length; i++) {
            a[i] = first.sample(p);
            b[i] = second.sample(p);
        }
        assertArrayEquals(a, b);
    }

    @Test
    void shouldNeverDrawZeroProbabilityTokens() {
        float[] p = {0f, 0.5f, 0f, 0.5f, 0f};
        TokenSampler sampler = TokenSampler.over(new SplittableRandom(7));
        int[] counts = new int[p.length];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.sample(p)]++;
        }
        assertEquals(0, counts[0] + counts[2] + counts[4]);
        assertEquals(10_000, counts[1], 400);
    }

    @Test
    void shouldRejectAllZeroWeights() {
        TokenSampler sampler = TokenSampler.over(new SplittableRandom(1));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(new float[3]));
    }
}
