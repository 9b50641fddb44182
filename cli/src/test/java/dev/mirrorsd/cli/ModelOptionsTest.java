package dev.mirrorsd.cli;

import dev.mirrorsd.pipeline.Strategy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which of the project's drafts a command loads for the strategies it runs, and which strategy by default. */
class ModelOptionsTest {

    @Test
    void shouldDefaultToTheStrategyMeasuredFastestOnThePlansTargetEngine() {
        ModelOptions options = new ModelOptions();
        assertEquals(Strategy.AUTOREGRESSIVE, options.defaultStrategyAsWritten().strategy(), "the default plan");
        options.plan = "target=pytorch:cpu,draft=pytorch:cpu";
        assertEquals(Strategy.PROMPT_LOOKUP, options.defaultStrategyAsWritten().strategy());
        String reason = options.defaultStrategyAsWritten().reason();
        assertTrue(reason.contains("prompt lookup runs at") && reason.contains("docs/results/cpu.md"),
                "the reason names the measurement and where it is: " + reason);
    }

    @Test
    void shouldDraftOnAGpuOnlyWithTheFeatureDraftCompiledBesideTheTarget() {
        ModelOptions options = new ModelOptions();
        options.plan = "target=aoti:gpu0,draft=aoti:gpu0";
        assertEquals(Strategy.AUTOREGRESSIVE, options.defaultStrategyAsWritten().strategy(), "no draft graphs");
        options.draft = java.nio.file.Path.of("../models/feature-draft");
        options.draftGraphs = java.nio.file.Path.of("build/aoti/feature-draft");
        Strategy.Choice choice = options.defaultStrategyAsWritten();
        assertEquals(Strategy.DRAFT, choice.strategy());
        assertTrue(choice.reason().contains("docs/results/h100.md"), choice.reason());
        options.draft = java.nio.file.Path.of("../models/draft");
        assertEquals(Strategy.AUTOREGRESSIVE, options.defaultStrategyAsWritten().strategy(), "compiled token draft");
    }

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
