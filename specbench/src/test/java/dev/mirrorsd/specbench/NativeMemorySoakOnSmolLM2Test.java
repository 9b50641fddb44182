package dev.mirrorsd.specbench;

import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CI variant of the soak benchmark ({@code mirror-sd soak} runs 2,000): 200 short generations
 * on the default target over every strategy, the draft on both DJL and ONNX Runtime, greedy and
 * sampled, on two short prompts. Memory is read after warm-up passes of every workload on every
 * prompt, at least eight and until a pass leaves resident memory within 1% (libtorch's and ONNX Runtime's allocators
 * and the JIT reach their working size there), and after a full GC.
 *
 * <p>Bounds: DJL's live arrays exactly as after warm-up (anything more is a leaked tensor); resident
 * memory within 5% (allocator caching and heap sizing move RSS by a few MB, a
 * leak of one KV cache per request would add ~300 MB over 200 requests); JVM direct buffers within
 * 4 MB (the ONNX engine's caches are freed by cleaners, which may lag one or two requests behind).
 */
class NativeMemorySoakOnSmolLM2Test {
    private static final int GENERATIONS = 200;

    @Test
    void twoHundredMixedGenerationsLeaveNativeMemoryWhereWarmUpLeftIt() {
        Path draftDir = Path.of(System.getProperty("mirrorsd.repo", ".."), "models", "draft");
        try (SoakModels models = SoakModels.load(SmolLM2Target.require(), draftDir, 4, 24)) {
            NativeMemorySoak.Result result = NativeMemorySoak.run(models.workloads(), models.prompts(2),
                    models.models(), GENERATIONS, 50, System.out);
            System.out.println(result.report());
            assertEquals(result.start().djlArrays(), result.end().djlArrays(), "DJL arrays leaked:\n" + result.report());
            assertTrue(result.residentGrowth() < 0.05, "resident memory grew:\n" + result.report());
            assertTrue(result.end().directBytes() - result.start().directBytes() < 4_000_000,
                    "direct buffers grew:\n" + result.report());
        }
    }
}
