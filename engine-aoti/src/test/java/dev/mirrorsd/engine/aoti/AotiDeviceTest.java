package dev.mirrorsd.engine.aoti;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AotiDeviceTest {

    @Test
    void shouldReadTheSpellingsOfAGpuAndTheCpu() {
        assertEquals(AotiDevice.gpu(1), AotiDevice.parse("cuda:1"));
        assertEquals(AotiDevice.gpu(1), AotiDevice.parse("gpu1"));
        assertEquals(AotiDevice.gpu(0), AotiDevice.parse("CUDA"));
        assertEquals(AotiDevice.cpu(), AotiDevice.parse("cpu"));
        assertEquals("cuda:1", AotiDevice.gpu(1).torchName());
        assertEquals("aoti:gpu1", AotiDevice.gpu(1).toString());
    }

    @Test
    void shouldRefuseWhatIsNoDevice() {
        assertThrows(IllegalArgumentException.class, () -> AotiDevice.parse("tpu0"));
        assertThrows(IllegalArgumentException.class, () -> AotiDevice.parse("gpu-1"));
        assertThrows(IllegalArgumentException.class, () -> new AotiDevice(false, 2));
    }
}
