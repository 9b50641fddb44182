package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.ModelDrafter;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoding loops report one span per phase per round, on the right lane, and every committed token. */
class LoopsReportPhasesTest {
    private static CausalLM target;
    private static CausalLM draftModel;
    private static final int[] PROMPT = {5, 9, 5, 9, 12, 40, 7};

    /** Keeps what it is told; one thread here. */
    private static class Recording implements Profiler {
        final List<Object[]> spans = new ArrayList<>(); // (lane, phase, start, end)
        long tokens;
        int commits;

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public void span(Lane lane, Phase phase, long startNanos, long endNanos) {
            spans.add(new Object[] {lane, phase, startNanos, endNanos});
        }

        @Override
        public void tokens(long nanos, int count) {
            tokens += count;
            commits++;
        }

        long count(Lane lane, Phase phase) {
            return spans.stream().filter(s -> s[0] == lane && s[1] == phase).count();
        }
    }

    @BeforeAll
    static void load() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        target = Engines.load(ModelSource.of(RandomWeights.of(config, 7)), "pytorch:cpu");
        draftModel = Engines.load(ModelSource.of(RandomWeights.of(config, 8)), "pytorch:cpu");
    }

    @AfterAll
    static void close() {
        draftModel.close();
        target.close();
    }

    private static GenerationResult run(Generator generator, Profiler profiler) {
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(20).withNumAssistantTokens(3)
                .withIgnoreEos(true);
        return generator.generateFromIds(PROMPT, config, TokenListener.NONE, new Cancellation(), profiler);
    }

    @Test
    void autoregressiveStepsShouldEachReportOneTargetForward() {
        Recording profiler = new Recording();
        GenerationResult result = run(Generator.of(target, new IdTokenizer(96), null), profiler);
        assertEquals(1, profiler.count(Lane.TARGET, Phase.PREFILL));
        // the prefill commits the first token; every later round is one forward
        assertEquals(result.stats().rounds() - 1, profiler.count(Lane.TARGET, Phase.TARGET_FORWARD));
        assertEquals(profiler.spans.size(), 1 + profiler.count(Lane.TARGET, Phase.TARGET_FORWARD));
        assertEquals(result.stats().newTokens(), profiler.tokens);
        assertEquals(result.stats().rounds(), profiler.commits);
        profiler.spans.forEach(s -> assertTrue((long) s[3] >= (long) s[2]));
    }

    @Test
    void speculativeRoundsShouldReportDraftForwardAndVerifyOnTheirLanes() {
        Recording profiler = new Recording();
        ModelDrafter drafter = new ModelDrafter(draftModel, null, target.config().vocabSize(), 0f, 1);
        GenerationResult result = run(Generator.speculative(target, new IdTokenizer(96), null, drafter), profiler);
        long rounds = result.stats().rounds() - 1;
        assertEquals(rounds, profiler.count(Lane.DRAFT, Phase.DRAFT));
        assertEquals(rounds, profiler.count(Lane.TARGET, Phase.TARGET_FORWARD));
        assertEquals(rounds, profiler.count(Lane.TARGET, Phase.VERIFY));
        assertEquals(result.stats().newTokens(), profiler.tokens);
        // within a round: draft, then forward, then verify, each starting after the one before ends
        List<Object[]> ordered = profiler.spans.subList(1, profiler.spans.size());
        for (int i = 0; i + 2 < ordered.size(); i += 3) {
            assertEquals(Phase.DRAFT, ordered.get(i)[1]);
            assertEquals(Phase.TARGET_FORWARD, ordered.get(i + 1)[1]);
            assertEquals(Phase.VERIFY, ordered.get(i + 2)[1]);
            assertTrue((long) ordered.get(i + 1)[2] >= (long) ordered.get(i)[3]);
            assertTrue((long) ordered.get(i + 2)[2] >= (long) ordered.get(i + 1)[3]);
        }
    }

    @Test
    void aDisabledProfilerShouldBeToldNothing() {
        Recording told = new Recording() {
            @Override
            public boolean enabled() {
                return false;
            }
        };
        run(Generator.of(target, new IdTokenizer(96), null), told);
        assertEquals(0, told.spans.size());
        assertEquals(0, told.commits);
    }
}
