package dev.mirrorsd.mapping;

import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.devices.CpuInfo;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.devices.DeviceInventory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCheckTest {

    private static final DeviceInventory TWO_CORE_CPU = DeviceInventory.of(new CpuInfo(2, 2, 1, "test"),
            new Accelerator(DeviceId.parse("pytorch:cpu"), "libtorch test"),
            new Accelerator(DeviceId.parse("onnxruntime:cpu"), "CPUExecutionProvider"));

    @Test
    void shouldAcceptTargetOnPytorchAndDraftOnOnnxRuntimeWithOneCoreEach() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1"), TWO_CORE_CPU);
        assertTrue(check.ok(), check.describe());
        assertTrue(check.warnings().isEmpty(), check.describe());
    }

    private static final DeviceInventory TWO_GPUS = DeviceInventory.of(new CpuInfo(16, 8, 1, "test"),
            new Accelerator(DeviceId.parse("aoti:gpu0"), "AOTInductor graphs on CUDA device 0"),
            new Accelerator(DeviceId.parse("aoti:gpu1"), "AOTInductor graphs on CUDA device 1"),
            new Accelerator(DeviceId.parse("onnxruntime:cpu"), "CPUExecutionProvider"));

    @Test
    void shouldAcceptTargetAndDraftAsCompiledGraphsOnTwoGpus() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=aoti:gpu0,draft=aoti:gpu1"), TWO_GPUS);
        assertTrue(check.ok(), check.describe());
        assertTrue(check.warnings().isEmpty(), check.describe());
        assertTrue(PlanCheck.of(DevicePlan.parse("target=aoti:gpu0,draft=onnxruntime:cpu"), TWO_GPUS).ok());
    }

    @Test
    void shouldRefuseAGpuTheInventoryLacks() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=aoti:gpu0,draft=aoti:gpu2"), TWO_GPUS);
        assertEquals(1, check.errors().size());
        assertTrue(check.errors().get(0).startsWith("draft=aoti:gpu2 is not available here"), check.errors().get(0));
    }

    @Test
    void shouldRefuseDjlAndAotiInOneProcess() {
        DeviceInventory both = DeviceInventory.of(new CpuInfo(2, 2, 1, "test"),
                new Accelerator(DeviceId.parse("pytorch:cpu"), "libtorch test"), new Accelerator(DeviceId.parse("aoti:gpu0"), "aoti"));
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=aoti:gpu0,draft=pytorch:cpu"), both);
        assertFalse(check.ok());
        assertTrue(check.errors().get(0).contains("two libtorch builds"), check.describe());
    }

    @Test
    void shouldNameTheUnavailableDeviceAndListWhatExistsInOneError() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:qnn"), TWO_CORE_CPU);
        assertEquals(1, check.errors().size());
        String error = check.errors().get(0);
        assertTrue(error.startsWith("draft=onnxruntime:qnn is not available here; available: "), error);
        assertTrue(error.contains("pytorch:cpu") && error.contains("onnxruntime:cpu (CPUExecutionProvider)"), error);
        DevicePlanException e = assertThrows(DevicePlanException.class, check::requireValid);
        assertEquals(error, e.getMessage());
    }

    @Test
    void shouldNameBothRolesWhenNeitherDeviceExists() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=pytorch:gpu0,draft=onnxruntime:cuda0"), TWO_CORE_CPU);
        assertEquals(1, check.errors().size());
        assertTrue(check.errors().get(0).startsWith("target=pytorch:gpu0 and draft=onnxruntime:cuda0 are not available"), check.errors().get(0));
    }

    @Test
    void shouldRefuseTwoPytorchCpuPipelinesWithDifferentThreadBudgets() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=pytorch:cpu,draft=pytorch:cpu,threads.target=1,threads.draft=2"), TWO_CORE_CPU);
        assertFalse(check.ok());
        assertTrue(check.errors().get(0).contains("process-wide"), check.errors().get(0));
        assertTrue(check.errors().get(0).contains("onnxruntime:cpu"), check.errors().get(0));
    }

    @Test
    void shouldWarnWhenTwoPytorchCpuPipelinesShareOneBudget() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=pytorch:cpu,draft=pytorch:cpu,threads.target=1,threads.draft=1"), TWO_CORE_CPU);
        assertTrue(check.ok(), check.describe());
        assertTrue(check.warnings().stream().anyMatch(w -> w.contains("'s one intra-op pool")), check.describe());
    }

    @Test
    void shouldWarnWhenTheCpuIsOversubscribed() {
        PlanCheck check = PlanCheck.of(DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=2,threads.draft=1"), TWO_CORE_CPU);
        assertTrue(check.ok());
        assertTrue(check.warnings().stream().anyMatch(w -> w.contains("target 2 + draft 1")), check.describe());
    }

    @Test
    void shouldSplitTheCpuBetweenPipelinesByDefault() {
        DevicePlan split = DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu").withDefaultThreads(new CpuInfo(8, 8, 1, "test"));
        assertEquals(6, split.target().intraOpThreads());
        assertEquals(2, split.draft().intraOpThreads());
        DevicePlan shared = DevicePlan.parse("target=pytorch:cpu,draft=pytorch:cpu").withDefaultThreads(new CpuInfo(2, 2, 1, "test"));
        assertEquals(1, shared.target().intraOpThreads());
        assertEquals(1, shared.draft().intraOpThreads());
        assertTrue(PlanCheck.of(shared, TWO_CORE_CPU).ok());
    }

    @Test
    void shouldKeepThreadsTheUserChose() {
        DevicePlan plan = DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.draft=1").withDefaultThreads(new CpuInfo(2, 2, 1, "t"));
        assertEquals(1, plan.draft().intraOpThreads());
        assertEquals(1, plan.target().intraOpThreads());
    }
}
