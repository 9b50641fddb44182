package dev.mirrorsd.core.sampling;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplingConfigTest {

    @Test
    void shouldRejectNegativeTemperature() {
        var e = assertThrows(IllegalArgumentException.class, () -> SamplingConfig.sampling(-0.1f, 0, 1f, 1));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
    }

    @Test
    void shouldRejectTopPOutsideUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> SamplingConfig.sampling(1f, 0, 0f, 1));
        assertThrows(IllegalArgumentException.class, () -> SamplingConfig.sampling(1f, 0, 1.01f, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> SamplingConfig.sampling(1f, 0, Float.NaN, 1));
        assertTrue(e.getMessage().contains("top_p"), e.getMessage());
    }

    @Test
    void shouldRejectNegativeTopK() {
        var e = assertThrows(IllegalArgumentException.class, () -> SamplingConfig.sampling(1f, -1, 1f, 1));
        assertTrue(e.getMessage().contains("top_k"), e.getMessage());
    }

    @Test
    void shouldRejectNonPositiveRepetitionPenalty() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SamplingConfig.greedy().withRepetitionPenalty(0f));
        assertTrue(e.getMessage().contains("repetition_penalty"), e.getMessage());
    }

    @Test
    void shouldTreatZeroTemperatureAsGreedy() {
        assertTrue(SamplingConfig.sampling(0f, 0, 1f, 1).isGreedy());
        assertTrue(SamplingConfig.greedy().isGreedy());
        assertFalse(SamplingConfig.sampling(0.7f, 50, 0.9f, 1).isGreedy());
    }
}
