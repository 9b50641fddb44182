package dev.mirrorsd.core.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** core alone has no engine: it says so instead of failing somewhere deeper. */
class EnginesWithoutModulesTest {

    @Test
    void shouldSayNoEngineIsInstalledWhenAPlanNamesOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceId.parse("pytorch:cpu"));
        assertTrue(e.getMessage().contains("no engine module"), e.getMessage());
        IllegalArgumentException get = assertThrows(IllegalArgumentException.class, () -> Engines.get("pytorch"));
        assertTrue(get.getMessage().contains("engine-djl"), get.getMessage());
    }

    @Test
    void shouldRefuseANonLowerCaseBackend() {
        assertThrows(IllegalArgumentException.class, () -> new Backend("PyTorch", "cpu", DeviceKind.CPU, false));
        assertThrows(IllegalArgumentException.class, () -> new DeviceId(new Backend("x", "cpu", DeviceKind.CPU, false), 1));
    }
}
