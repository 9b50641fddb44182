package dev.mirrorsd.pipeline;

import dev.mirrorsd.pipeline.profile.Profiler;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RoundStatsTest {

    @Test
    void shouldRecordAcceptLengthOfEveryRoundInOrder() {
        RoundStats stats = new RoundStats(Profiler.OFF);
        stats.round(0, 0); // the prefill's token
        stats.round(4, 3);
        stats.round(4, 0);
        stats.round(4, 4);
        assertArrayEquals(new int[] {1, 4, 1, 5}, stats.acceptLengths());
        assertEquals(4, stats.rounds);
    }

    @Test
    void shouldKeepEveryRoundPastTheInitialCapacity() {
        RoundStats stats = new RoundStats(Profiler.OFF);
        for (int i = 0; i < 1000; i++) {
            stats.round(2, i % 3);
        }
        int[] lengths = stats.acceptLengths();
        assertEquals(1000, lengths.length);
        assertEquals(2, lengths[1]);
        assertEquals(1, lengths[999]);
    }
}
