package dev.mirrorsd.cli;

import dev.mirrorsd.pipeline.Strategy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which of the project's drafts a command loads for the strategies it runs. */
class ModelOptionsTest {

    @Test
    void shouldRunTheFeatureDraftWhereverAStrategyDraftsWithIt() {
        // specbench and bench always add autoregressive decoding as the baseline
        assertTrue(ModelOptions.runsFeatureDraft(List.of(Strategy.AUTOREGRESSIVE, Strategy.DRAFT, Strategy.PROMPT_LOOKUP)));
        assertTrue(ModelOptions.runsFeatureDraft(List.of(Strategy.AUTOREGRESSIVE, Strategy.MIRROR)));
        assertTrue(ModelOptions.runsFeatureDraft(List.of(Strategy.DRAFT)));
    }

    @Test
    void shouldKeepTheTokenDraftWhereAStrategyNeedsIt() {
        assertFalse(ModelOptions.runsFeatureDraft(List.of(Strategy.AUTOREGRESSIVE, Strategy.DRAFT, Strategy.STREAMING)));
        assertFalse(ModelOptions.runsFeatureDraft(List.of(Strategy.AUTOREGRESSIVE)));
        assertFalse(ModelOptions.runsFeatureDraft(List.of(Strategy.STREAMING)));
    }
}
