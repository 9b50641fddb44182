package dev.mirrorsd.core.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CpuAndGpusTest {
    private final CpuAndGpus torch = CpuAndGpus.of("pytorch");

    @Test
    void shouldPlaceItsOwnDevicesAndRefuseAnotherEnginesDevice() {
        assertEquals("cpu", torch.place(new DeviceId(torch.cpu(), 0), () -> "cpu", i -> "gpu" + i));
        assertEquals("gpu1", torch.place(new DeviceId(torch.gpu(), 1), () -> "cpu", i -> "gpu" + i));
        DeviceId other = new DeviceId(CpuAndGpus.of("aoti").gpu(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> torch.place(other, () -> "cpu", i -> "gpu" + i));
        assertEquals("aoti:gpu0 is not a pytorch device", e.getMessage());
    }

    @Test
    void shouldListTheCpuThenEachGpu() {
        List<Accelerator> found = torch.accelerators("libtorch 2.7.1", 2);
        assertEquals(List.of("pytorch:cpu", "pytorch:gpu0", "pytorch:gpu1"),
                found.stream().map(a -> a.id().toString()).toList());
        assertEquals("libtorch 2.7.1 on CUDA device 1", found.get(2).description());
        assertEquals(List.of(torch.cpu(), torch.gpu()), torch.backends());
    }
}
