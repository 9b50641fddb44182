package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.ModelMirrorDrafter;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.ring.WaitPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.draft.FeatureMirrorDrafter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Greedy Mirror-SD must emit exactly the target's greedy tokens for every (l_e, kappa, gamma). Two
 * drafts: an unrelated random model (drafts mostly rejected: the miss path, fresh drafts, every
 * rejection depth) and the target itself without its early exit (drafts mostly accepted: branch
 * reuse on hits). The tiny model has no multi-token heads, so rollouts of gamma > 1 take several
 * draft forwards over the re-fed branch tree. Both models run on {@link #engine()}; a subclass
 * runs every test on another engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MirrorIdentityOnRandomModelsTest {
    private CausalLM target;
    private CausalLM unrelatedDraft;
    private final List<int[]> prompts = new ArrayList<>();
    /** Each prompt's greedy autoregressive tokens: the same for every gamma, so computed once. */
    private final List<int[]> expected = new ArrayList<>();

    /** Where both models run, as a plan spells it. */
    String engine() {
        return "pytorch:cpu";
    }

    @BeforeAll
    void load() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        target = Engines.load(ModelSource.of(RandomWeights.of(config, 7)), engine());
        unrelatedDraft = Engines.load(ModelSource.of(RandomWeights.of(config, 8)), engine());
        SplittableRandom random = new SplittableRandom(5);
        for (int p = 0; p < 8; p++) {
            int[] prompt = new int[2 + random.nextInt(20)];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 3 + random.nextInt(90);
            }
            prompts.add(prompt);
            expected.add(run(Generator.of(target, new IdTokenizer(96), null), prompt, greedy(1)).tokenIds());
        }
    }

    @AfterAll
    void close() {
        unrelatedDraft.close();
        target.close();
    }

    private static GenerationResult run(Generator generator, int[] prompt, GenerationConfig config) {
        return generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation());
    }

    private Generator mirror(CausalLM draft, MirrorOptions options) {
        // the drafter does not own the test's models: closing generators must leave them open
        return Generator.mirror(target, new IdTokenizer(96), null,
                new ModelMirrorDrafter(draft.firstLayers(draft.config().numLayers()), null, 96, true), options);
    }

    private static GenerationConfig greedy(int gamma) {
        return GenerationConfig.defaults().withMaxNewTokens(40).withIgnoreEos(true).withNumAssistantTokens(gamma);
    }

    private static MirrorOptions options(int exitLayer, int kappa) {
        return MirrorOptions.defaults().withExitLayer(exitLayer).withKappa(kappa).withNarrowEarlyExit(false);
    }

    private Totals assertIdentical(CausalLM draft, MirrorOptions options, int gamma) {
        int exitLayer = options.exitLayer();
        int kappa = options.kappa();
        Generator mirror = mirror(draft, options);
        int rounds = 0;
        int hits = 0;
        long accepted = 0;
        for (int p = 0; p < prompts.size(); p++) {
            int[] prompt = prompts.get(p);
            GenerationResult actual = run(mirror, prompt, greedy(gamma));
            String setting = "l_e " + exitLayer + ", kappa " + kappa + ", gamma " + gamma + ", "
                    + options.missPolicy();
            assertArrayEquals(expected.get(p), actual.tokenIds(), "mirror (" + setting + ") diverged on prompt "
                    + Arrays.toString(prompt));
            GenerationStats stats = actual.stats();
            assertNull(stats.draftFailure(), setting);
            assertEquals(stats.newTokens(), stats.acceptedTokens() + stats.rounds(),
                    "every round emits its accepted tokens plus one");
            assertNotNull(stats.mirror());
            // every round after the prefill's sends an early exit to the live draft
            assertEquals(stats.rounds() - 1, stats.mirror().rounds(), setting);
            rounds += stats.mirror().rounds();
            hits += stats.mirror().hits();
            accepted += stats.acceptedTokens();
        }
        return new Totals(rounds, hits, accepted);
    }

    /** Mirror rounds, hits and accepted draft tokens over the prompts. */
    private record Totals(int rounds, int hits, long accepted) {
    }

    @Test
    void shouldMatchAutoregressiveWithAnUnrelatedDraft() {
        for (MissPolicy onMiss : MissPolicy.values()) {
            long accepted = 0;
            for (int[] setting : new int[][] {{1, 1, 1}, {1, 2, 3}, {2, 4, 4}, {1, 3, 6}}) {
                accepted += assertIdentical(unrelatedDraft, options(setting[0], setting[1]).withMissPolicy(onMiss),
                        setting[2]).accepted();
            }
            if (onMiss == MissPolicy.REDRAFT) { // under TARGET_STEP only hits bring this draft's tokens
                assertTrue(accepted > 0, "no draft token was ever accepted: the test would prove little");
            }
        }
    }

    @Test
    void shouldMatchAutoregressiveAndReuseBranchesWithTheTargetAsItsOwnDraft() {
        for (MissPolicy onMiss : MissPolicy.values()) {
            for (int[] setting : new int[][] {{1, 2, 2}, {2, 3, 4}, {2, 1, 5}}) {
                Totals totals = assertIdentical(target, options(setting[0], setting[1]).withMissPolicy(onMiss),
                        setting[2]);
                assertTrue(totals.hits() > 0, "no branch was ever reused at " + Arrays.toString(setting) + ", " + onMiss);
                assertTrue(totals.accepted() > 0, "no draft token was ever accepted at " + Arrays.toString(setting));
            }
        }
    }

    @Test
    void shouldMatchAutoregressiveWithAFeatureDraftReadingTheEarlyExitMessage(@TempDir Path dir) throws IOException {
        int[] draftVocab = new int[96];
        for (int i = 0; i < draftVocab.length; i++) {
            draftVocab[i] = i;
        }
        RandomFeatureDraft.write(dir, RandomWeights.tinyConfig(false), new int[] {1, 2}, draftVocab, 0.2, 23);
        FeatureDraft draft = FeatureDraft.load(dir, RandomWeights.of(RandomWeights.tinyConfig(false), 7));
        List<int[]> firstPrompts = this.prompts.subList(0, 4);
        int hits = 0;
        for (MissPolicy onMiss : MissPolicy.values()) {
            for (int[] setting : new int[][] {{2, 1, 1}, {2, 2, 3}, {2, 3, 5}}) {
                Generator mirror = Generator.mirror(target, new IdTokenizer(96), null, new FeatureMirrorDrafter(draft),
                        options(setting[0], setting[1]).withMissPolicy(onMiss));
                for (int p = 0; p < firstPrompts.size(); p++) {
                    int[] prompt = firstPrompts.get(p);
                    GenerationResult actual = run(mirror, prompt, greedy(setting[2]));
                    String where = Arrays.toString(setting) + ", " + onMiss + ", prompt " + Arrays.toString(prompt);
                    assertArrayEquals(expected.get(p), actual.tokenIds(), where);
                    assertNull(actual.stats().draftFailure(), where);
                    assertEquals(actual.stats().rounds() - 1, actual.stats().mirror().rounds(), where);
                    hits += actual.stats().mirror().hits();
                }
            }
        }
        assertTrue(hits > 0, "no branch was ever reused: the hand-over of a hit went untested");
    }

    @Test
    void shouldRefuseFeatureLayersPastTheEarlyExitLayer(@TempDir Path dir) throws IOException {
        RandomFeatureDraft.write(dir, RandomWeights.tinyConfig(false), new int[] {2}, new int[] {1, 2, 3}, 0.2, 23);
        FeatureDraft draft = FeatureDraft.load(dir, RandomWeights.of(RandomWeights.tinyConfig(false), 7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generator.mirror(target,
                new IdTokenizer(96), null, new FeatureMirrorDrafter(draft), options(1, 2)));
        assertTrue(e.getMessage().contains("layer 2"), e.getMessage());
    }

    @Test
    void shouldStepTheTargetAloneAfterAMissUnderTargetStep() {
        // gamma 3: a round after a hit verifies up to 3 draft tokens, one after a miss none
        for (MissPolicy onMiss : MissPolicy.values()) {
            GenerationResult result = run(mirror(unrelatedDraft, options(1, 2).withMissPolicy(onMiss)), prompts.get(1),
                    greedy(3));
            MirrorStats mirror = result.stats().mirror();
            int misses = mirror.rounds() - mirror.hits();
            assertTrue(misses > 0, "the unrelated draft should miss");
            long draftedRows = result.stats().draftedTokens();
            if (onMiss == MissPolicy.TARGET_STEP) {
                assertTrue(draftedRows <= 3L * mirror.hits(), "only hits bring draft rows: " + draftedRows + " rows, "
                        + mirror.hits() + " hits");
            } else {
                assertTrue(draftedRows > 3L * mirror.hits(), "misses redraft: " + draftedRows + " rows, "
                        + mirror.hits() + " hits");
            }
        }
    }

    @Test
    void shouldMatchAutoregressiveWithEveryWaitPolicy() {
        for (WaitPolicy policy : WaitPolicy.values()) {
            Generator mirror = mirror(target, options(2, 2).withWaitPolicy(policy));
            assertArrayEquals(expected.get(3), run(mirror, prompts.get(3), greedy(3)).tokenIds(), policy.toString());
        }
    }

    @Test
    void shouldSampleReproduciblyForAGivenSeed() {
        SamplingConfig sampling = new SamplingConfig(true, 0.9f, 40, 0.95f, 1.1f, 1234L);
        GenerationConfig config = greedy(3).withSampling(sampling);
        Generator mirror = mirror(target, options(2, 2));
        GenerationResult first = run(mirror, prompts.get(2), config);
        GenerationResult again = run(mirror, prompts.get(2), config);
        assertArrayEquals(first.tokenIds(), again.tokenIds());
        assertEquals(40, first.tokenIds().length);
        assertTrue(first.stats().acceptedTokens() > 0);
    }

    @Test
    void shouldRefuseAnEarlyExitLayerOutsideTheTarget() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> mirror(target, options(3, 2)));
        assertTrue(e.getMessage().contains("early-exit layer 3"), e.getMessage());
    }

    @Test
    void shouldFinishOnTheTargetAloneWhenTheDraftModelFailsMidRequest() {
        // a draft forward or three per round: the 16th falls a few rounds into the request
        InstrumentedCausalLM failing = new InstrumentedCausalLM(target);
        failing.failAtPass(16);
        Generator mirror = Generator.mirror(target, new IdTokenizer(96), null,
                new ModelMirrorDrafter(failing, null, 96, true), options(2, 2));
        int[] prompt = prompts.get(4);
        GenerationResult actual = run(mirror, prompt, greedy(3));
        assertArrayEquals(expected.get(4), actual.tokenIds());
        assertNotNull(actual.stats().draftFailure());
        assertTrue(actual.stats().draftFailure().contains("device lost"), actual.stats().draftFailure());
        assertTrue(actual.stats().acceptedTokens() > 0, "the failure should come after some accepted drafts");
        assertEquals(0, failing.openSequences(), "the failed draft pipeline closed its cache");
        // the generator stays usable
        assertArrayEquals(expected.get(4), run(mirror, prompt, greedy(3)).tokenIds());
    }

    @Test
    void shouldRecordEveryRoundsPhasesWithRolloutsAfterTheirEarlyExit() {
        RecordingProfiler profiler = new RecordingProfiler();
        Generator mirror = mirror(target, options(2, 2));
        GenerationResult result = mirror.generateFromIds(prompts.get(5), greedy(3), TokenListener.NONE,
                new Cancellation(), profiler);
        int mirrorRounds = result.stats().mirror().rounds();
        assertEquals(mirrorRounds, profiler.count(Lane.TARGET, Phase.TARGET_PREFIX));
        assertEquals(mirrorRounds, profiler.count(Lane.TARGET, Phase.TARGET_SUFFIX));
        assertEquals(result.stats().rounds() - 1, profiler.count(Lane.TARGET, Phase.VERIFY));
        assertEquals(mirrorRounds, profiler.count(Lane.DRAFT, Phase.BRANCH_ROLLOUT));
        assertEquals(1, profiler.count(Lane.TARGET, Phase.PREFILL));
        // causality, not timing: round r's rollout starts once round r's early exit is out
        java.util.List<long[]> prefixes = profiler.spans(Lane.TARGET, Phase.TARGET_PREFIX);
        java.util.List<long[]> rollouts = profiler.spans(Lane.DRAFT, Phase.BRANCH_ROLLOUT);
        for (int r = 0; r < rollouts.size(); r++) {
            assertTrue(rollouts.get(r)[0] >= prefixes.get(r)[1], "rollout " + r + " began before its early exit");
        }
        assertEquals(result.stats().newTokens(), profiler.tokens);
    }

    @Test
    void shouldFinishOnTheTargetAloneWhenTheDraftPipelineTimesOut() {
        // a proposal timeout far below one draft forward: the first wait gives up
        Generator mirror = mirror(unrelatedDraft, options(1, 2).withProposalTimeout(Duration.ofNanos(1)));
        GenerationResult actual = run(mirror, prompts.get(0), greedy(2));
        assertArrayEquals(expected.get(0), actual.tokenIds());
        assertNotNull(actual.stats().draftFailure());
    }
}
