package dev.mirrorsd.placement;

import dev.mirrorsd.core.engine.DeviceId;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ForwardLatencyTest {

    private final ForwardLatency latency = ForwardLatency.of(DeviceId.parse("pytorch:cpu"), 10, Map.of(1, 100L, 2, 120L, 4, 160L, 8, 240L));

    @Test
    void shouldReturnMeasuredSizesAsIs() {
        assertEquals(160, latency.nanos(4));
    }

    @Test
    void shouldInterpolateBetweenMeasuredSizes() {
        assertEquals(140, latency.nanos(3), 1e-9);
        assertEquals(200, latency.nanos(6), 1e-9);
    }

    @Test
    void shouldExtendTheLastSlopeBeyondTheLargestSize() {
        assertEquals(320, latency.nanos(12), 1e-9);
    }

    @Test
    void shouldSpreadTheForwardOverTheLayers() {
        assertEquals(10, latency.nanosPerLayer(1), 1e-9);
    }
}
