package dev.mirrorsd.engine.aoti;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The CPU-side arithmetic of CUDA graph steps (the replays themselves need a GPU: tools/gpu). */
class AotiStepTest {

    @Test
    void shouldRoundTheAttendedLengthUpToABucketWithinTheContext() {
        assertEquals(128, AotiCausalLM.attendedWidth(1, 2048));
        assertEquals(128, AotiCausalLM.attendedWidth(128, 2048));
        assertEquals(256, AotiCausalLM.attendedWidth(129, 2048));
        // the last bucket stops at the export's max_context, never past the cache
        assertEquals(1000, AotiCausalLM.attendedWidth(999, 1000));
        assertEquals(1000, AotiCausalLM.attendedWidth(1000, 1000));
    }

    @Test
    void shouldStartEveryRowOfTheStepIntsAligned() {
        // 8 int64 = 64 bytes: the graphs were compiled for aligned inputs and copy misaligned ones
        assertEquals(8, AotiCausalLM.intsStride(1));
        assertEquals(8, AotiCausalLM.intsStride(8));
        assertEquals(16, AotiCausalLM.intsStride(9));
    }

    @Test
    void shouldKeyStepsByWindowAndWidth() {
        assertNotEquals(AotiCausalLM.stepKey(1, 256), AotiCausalLM.stepKey(2, 128));
        assertNotEquals(AotiCausalLM.stepKey(1, 256), AotiCausalLM.stepKey(1, 128));
        assertEquals(AotiCausalLM.stepKey(3, 384), AotiCausalLM.stepKey(3, 384));
    }
}
