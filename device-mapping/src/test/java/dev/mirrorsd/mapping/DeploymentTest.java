package dev.mirrorsd.mapping;

import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeploymentTest {

    private static final String PROMPT = "What is the capital of France?";
    private static final GenerationConfig GREEDY = GenerationConfig.defaults().withMaxNewTokens(12);

    private static Path draftDir() {
        return Path.of(System.getProperty("mirrorsd.repo", ".."), "models", "draft");
    }

    @Test
    void shouldOpenAGeneratorFromAPlanInOneCall() {
        Path target = SmolLM2Target.require();
        int[] autoregressive;
        try (Generator plain = Deployment.plan(null).target(target).draft(draftDir()).open(Strategy.AUTOREGRESSIVE)) {
            autoregressive = plain.generate(PROMPT, GREEDY).tokenIds();
        }
        // the draft on a second engine: the plan alone decides where each model runs
        try (Generator speculative = Deployment.plan("target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1")
                .target(target).draft(draftDir()).open(Strategy.DRAFT)) {
            assertArrayEquals(autoregressive, speculative.generate(PROMPT, GREEDY).tokenIds());
        }
    }

    @Test
    void shouldRefuseAnExportForAnEngineThatLoadsCheckpoints() {
        Deployment deployment = Deployment.plan(null).target(Path.of("missing.gguf")).draft(draftDir())
                .targetExport(Path.of("graphs"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deployment.load(false));
        assertTrue(e.getMessage().contains("java:cpu"), e.getMessage());
    }

    @Test
    void shouldAskForTheExportWhereThePlanPutsAModelOnAnEngineThatLoadsOne() {
        Deployment deployment = Deployment.plan("target=aoti:gpu0,draft=aoti:gpu0").target(Path.of("missing.gguf"))
                .draft(draftDir());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deployment.load(false));
        assertTrue(e.getMessage().contains("--target-graphs"), e.getMessage());
    }

    @Test
    void shouldNameTheInstalledDevicesWhenAPlanNamesAnUnknownOne() {
        Deployment deployment = Deployment.plan("target=tpu:0,draft=pytorch:cpu").target(Path.of("missing.gguf"))
                .draft(draftDir());
        DevicePlanException e = assertThrows(DevicePlanException.class, () -> deployment.load(false));
        assertTrue(e.getMessage().contains("onnxruntime:cpu") && e.getMessage().contains("aoti:gpuN"), e.getMessage());
    }

    @Test
    void shouldRefuseATargetOnAnEngineThatCannotStopAtTheEarlyExit() {
        Deployment deployment = Deployment.plan("target=onnxruntime:cpu,draft=pytorch:cpu,threads.target=1,threads.draft=1")
                .target(SmolLM2Target.require()).draft(draftDir());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> deployment.load(false));
        assertTrue(e.getMessage().contains("early-exit"), e.getMessage());
    }
}
