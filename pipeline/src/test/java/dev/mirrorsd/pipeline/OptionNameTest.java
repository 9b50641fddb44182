package dev.mirrorsd.pipeline;

import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.pipeline.ring.WaitPolicy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OptionNameTest {

    @Test
    void shouldSpellEveryConstantAsItParses() {
        for (MissPolicy p : MissPolicy.values()) {
            assertEquals(p, OptionName.parse(MissPolicy.class, OptionName.of(p), "miss policy"));
        }
        for (WaitPolicy p : WaitPolicy.values()) {
            assertEquals(p, OptionName.parse(WaitPolicy.class, OptionName.of(p).toUpperCase(), "wait policy"));
        }
        assertEquals("target-step", OptionName.of(MissPolicy.TARGET_STEP));
    }

    @Test
    void shouldNameTheValidSpellingsOfAnUnknownOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OptionName.parse(MissPolicy.class, "target_step", "miss policy"));
        assertEquals("unknown miss policy 'target_step'; valid: redraft, target-step", e.getMessage());
    }
}
