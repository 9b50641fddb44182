package dev.mirrorsd.devices;

import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.core.engine.DeviceId;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceInventoryTest {

    @Test
    void shouldFindPytorchCpuAndOnnxRuntimeCpuOnThisMachine() {
        DeviceInventory inventory = DeviceInventory.discover();
        assertTrue(inventory.has(DeviceId.parse("pytorch:cpu")), inventory.describe());
        Accelerator ort = inventory.find(DeviceId.parse("onnxruntime:cpu")).orElseThrow(() -> new AssertionError(inventory.describe()));
        assertTrue(ort.description().contains("CPUExecutionProvider"), ort.toString());
        assertTrue(inventory.cpu().logicalProcessors() >= 1);
        assertTrue(inventory.cpu().physicalCores() >= 1);
    }

    @Test
    void shouldListAotiDevicesOrSayWhyNot() {
        DeviceInventory inventory = DeviceInventory.discover();
        boolean listed = inventory.has(DeviceId.parse("aoti:cpu"));
        boolean explained = inventory.notes().stream().anyMatch(n -> n.startsWith("AOTI engine unavailable: "));
        assertTrue(listed != explained, inventory.describe());
    }

    @Test
    void shouldCountPhysicalCoresAcrossSocketsFromProcCpuinfo() {
        List<String> lines = List.of(
                "processor\t: 0", "model name\t: Test CPU", "physical id\t: 0", "core id\t\t: 0", "",
                "processor\t: 1", "model name\t: Test CPU", "physical id\t: 0", "core id\t\t: 0", "",
                "processor\t: 2", "model name\t: Test CPU", "physical id\t: 1", "core id\t\t: 0", "",
                "processor\t: 3", "model name\t: Test CPU", "physical id\t: 1", "core id\t\t: 1", "");
        CpuInfo cpu = CpuInfo.parse(lines, 4);
        assertEquals(3, cpu.physicalCores());
        assertEquals(2, cpu.sockets());
        assertEquals("Test CPU", cpu.model());
    }

    @Test
    void shouldSpellDevicesAsPlansDo() {
        assertEquals("pytorch:gpu1", DeviceId.parse("pytorch:gpu1").toString());
        assertEquals("onnxruntime:cpu", DeviceId.parse("onnxruntime:cpu").toString());
        assertEquals("onnxruntime:qnn", DeviceId.parse("onnxruntime:qnn").toString());
        assertEquals("aoti:gpu1", DeviceId.parse("aoti:gpu1").toString());
    }
}
