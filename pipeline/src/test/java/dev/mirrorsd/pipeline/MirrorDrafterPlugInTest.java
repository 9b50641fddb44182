package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.MissPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Mirror pipeline drives any {@link dev.mirrorsd.draft.MirrorDrafter}: a draft side written
 * outside the draft module ({@link PromptLookupMirrorDrafter}) plugs in through
 * {@link Generator#mirror} alone, and greedy output stays the target's own, with its branches
 * reused on hits.
 */
class MirrorDrafterPlugInTest {
    private static CausalLM target;

    @BeforeAll
    static void load() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        target = Engines.load(ModelSource.of(RandomWeights.of(config, 7)), "pytorch:cpu");
    }

    @AfterAll
    static void close() {
        target.close();
    }

    @Test
    void shouldMatchAutoregressiveAndReuseBranchesWithAnotherDraftSide() {
        Generator reference = Generator.of(target, new IdTokenizer(96), null);
        SplittableRandom random = new SplittableRandom(3);
        for (MissPolicy onMiss : MissPolicy.values()) {
            long accepted = 0;
            for (int[] setting : new int[][] {{1, 2, 2}, {2, 4, 4}}) {
                PromptLookupMirrorDrafter drafter = new PromptLookupMirrorDrafter();
                Generator mirror = Generator.mirror(target, new IdTokenizer(96), null, drafter,
                        MirrorOptions.defaults().withExitLayer(setting[0]).withKappa(setting[1])
                                .withNarrowEarlyExit(false).withMissPolicy(onMiss));
                assertEquals("mirror-prompt-lookup", mirror.strategy());
                for (int p = 0; p < 3; p++) {
                    int[] prompt = random.ints(4 + random.nextInt(12), 3, 93).toArray();
                    GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(40).withIgnoreEos(true)
                            .withNumAssistantTokens(setting[2]);
                    GenerationResult expected = reference.generateFromIds(prompt, config, TokenListener.NONE,
                            new Cancellation());
                    GenerationResult actual = mirror.generateFromIds(prompt, config, TokenListener.NONE,
                            new Cancellation());
                    String where = Arrays.toString(setting) + ", " + onMiss + ", prompt " + Arrays.toString(prompt);
                    assertArrayEquals(expected.tokenIds(), actual.tokenIds(), "diverged at " + where);
                    assertNull(actual.stats().draftFailure(), where);
                    accepted += actual.stats().acceptedTokens();
                }
                assertTrue(drafter.hits() > 0, "no branch was reused at " + Arrays.toString(setting) + ", " + onMiss);
            }
            assertTrue(accepted > 0, "no draft token was ever accepted under " + onMiss);
        }
    }
}
