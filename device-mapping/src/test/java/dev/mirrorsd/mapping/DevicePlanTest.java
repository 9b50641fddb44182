package dev.mirrorsd.mapping;

import dev.mirrorsd.core.engine.DeviceId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DevicePlanTest {

    @Test
    void shouldReadDevicesAndThreadsFromTheCommandLineGrammar() {
        DevicePlan plan = DevicePlan.parse("target=pytorch:gpu1, draft=onnxruntime:cpu,threads.target=2,threads.draft=1");
        assertEquals(DeviceId.parse("pytorch:gpu1"), plan.target().device());
        assertEquals(DeviceId.parse("onnxruntime:cpu"), plan.draft().device());
        assertEquals(2, plan.target().intraOpThreads());
        assertEquals(1, plan.draft().intraOpThreads());
    }

    @Test
    void shouldReadEveryOnnxRuntimeProviderAndDefaultTheGpuIndexToZero() {
        assertEquals(DeviceId.parse("onnxruntime:qnn"), DevicePlan.parse("target=pytorch:gpu,draft=onnxruntime:QNN").draft().device());
        assertEquals(DeviceId.parse("onnxruntime:cuda3"), DevicePlan.parse("target=pytorch:cpu draft=onnxruntime:cuda3").draft().device());
        assertEquals(DeviceId.parse("pytorch:gpu0"), DevicePlan.parse("target=pytorch:gpu,draft=onnxruntime:coreml").target().device());
    }

    @Test
    void shouldReadCompiledGraphsOnTwoGpus() {
        DevicePlan plan = DevicePlan.parse("target=aoti:gpu0,draft=aoti:gpu1");
        assertEquals(DeviceId.parse("aoti:gpu0"), plan.target().device());
        assertEquals(DeviceId.parse("aoti:gpu1"), plan.draft().device());
        assertEquals("aoti:gpu1", plan.draft().device().toString());
        assertEquals(plan, DevicePlan.parse(plan.toSpec()));
        assertEquals(DeviceId.parse("aoti:cpu"), DevicePlan.parse("target=aoti:cpu,draft=aoti:cpu").target().device());
    }

    @Test
    void shouldLeaveUnstatedThreadsAtZero() {
        DevicePlan plan = DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu");
        assertEquals(0, plan.target().intraOpThreads());
        assertEquals(0, plan.draft().intraOpThreads());
    }

    @Test
    void shouldRoundTripThroughItsSpec() {
        DevicePlan plan = DevicePlan.parse("target=pytorch:gpu0,draft=onnxruntime:tensorrt1,threads.draft=3");
        assertEquals(plan, DevicePlan.parse(plan.toSpec()));
    }

    @Test
    void shouldReadAPropertiesFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("plan.properties");
        Files.writeString(file, "# two pipelines on one CPU\ntarget = pytorch:cpu\ndraft = onnxruntime:cpu\nthreads.target = 1\nthreads.draft = 1\n");
        assertEquals(DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1"), DevicePlan.read(file));
    }

    @Test
    void shouldRejectAnUnknownEngineListingTheValidSpellings() {
        DevicePlanException e = assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target=tensorflow:cpu,draft=onnxruntime:cpu"));
        assertTrue(e.getMessage().contains("target=tensorflow:cpu"), e.getMessage());
        assertTrue(e.getMessage().contains("pytorch:gpuN") && e.getMessage().contains("onnxruntime:qnn"), e.getMessage());
    }

    @Test
    void shouldRejectAnIndexOnADeviceThatTakesNone() {
        assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target=pytorch:cpu2,draft=onnxruntime:cpu"));
    }

    @Test
    void shouldRejectAnEntryThatIsNotKeyValue() {
        DevicePlanException e = assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target:pytorch:cpu"));
        assertTrue(e.getMessage().contains("key=value"), e.getMessage());
    }

    @Test
    void shouldRejectAnUnknownKeyListingTheValidOnes() {
        DevicePlanException e = assertThrows(DevicePlanException.class,
                () -> DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,verifier=pytorch:cpu"));
        assertTrue(e.getMessage().contains("threads.draft"), e.getMessage());
    }

    @Test
    void shouldRejectAMissingRole() {
        DevicePlanException e = assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target=pytorch:cpu"));
        assertTrue(e.getMessage().contains("draft="), e.getMessage());
    }

    @Test
    void shouldRejectZeroOrNonNumericThreads() {
        assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.draft=0"));
        assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.draft=two"));
    }

    @Test
    void shouldRejectARoleSetTwice() {
        assertThrows(DevicePlanException.class, () -> DevicePlan.parse("target=pytorch:cpu,target=pytorch:gpu0,draft=onnxruntime:cpu"));
    }
}
