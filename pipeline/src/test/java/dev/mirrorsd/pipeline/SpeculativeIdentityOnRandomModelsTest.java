package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.draft.Drafter;
import dev.mirrorsd.draft.DynamicTreeDrafter;
import dev.mirrorsd.draft.EarlyExitDrafter;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.draft.FeatureDrafter;
import dev.mirrorsd.draft.LookupFirstDrafter;
import dev.mirrorsd.draft.ModelDrafter;
import dev.mirrorsd.draft.NgramDrafter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Greedy speculative decoding must emit exactly the target's greedy tokens, whatever the drafter
 * proposes. Random models make drafts that are mostly wrong, which exercises every rejection path;
 * the real-model identity test runs on the default target. The target and the draft model run on
 * {@link #engine()}; a subclass runs every test on another engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpeculativeIdentityOnRandomModelsTest {
    private CausalLM target;
    private CausalLM draftModel;
    private final List<int[]> prompts = new ArrayList<>();
    /** Each prompt's greedy autoregressive output: the same for every gamma, so computed once. */
    private final List<GenerationResult> reference = new ArrayList<>();

    /** Where both models run, as a plan spells it. */
    String engine() {
        return "pytorch:cpu";
    }

    @BeforeAll
    void load() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        target = Engines.load(ModelSource.of(RandomWeights.of(config, 7)), engine());
        draftModel = Engines.load(ModelSource.of(RandomWeights.of(config, 8)), engine());
        SplittableRandom random = new SplittableRandom(3);
        for (int p = 0; p < 12; p++) {
            int[] prompt = new int[3 + random.nextInt(20)];
            for (int i = 0; i < prompt.length; i++) {
                // a small alphabet repeats n-grams, so prompt lookup finds matches
                prompt[i] = 3 + random.nextInt(p % 2 == 0 ? 6 : 90);
            }
            prompts.add(prompt);
            reference.add(run(generator(null), prompt, greedy(1)));
        }
    }

    @AfterAll
    void close() {
        draftModel.close();
        target.close();
    }

    private static GenerationResult run(Generator generator, int[] prompt, GenerationConfig config) {
        return generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation());
    }

    private Generator generator(Drafter drafter) {
        IdTokenizer tokenizer = new IdTokenizer(96);
        return drafter == null ? Generator.of(target, tokenizer, null) : Generator.speculative(target, tokenizer, null, drafter);
    }

    private void assertIdentical(Drafter drafter, GenerationConfig config) {
        assertFalse(config.sampling().doSample(), "the reference is greedy");
        Generator speculative = generator(drafter);
        long accepted = 0;
        for (int p = 0; p < prompts.size(); p++) {
            GenerationResult expected = reference.get(p);
            GenerationResult actual = run(speculative, prompts.get(p), config);
            assertArrayEquals(expected.tokenIds(), actual.tokenIds(),
                    drafter.name() + " diverged on prompt " + Arrays.toString(prompts.get(p)));
            assertEquals(expected.finishReason(), actual.finishReason());
            accepted += actual.stats().acceptedTokens();
            assertEquals(actual.stats().newTokens(), actual.stats().acceptedTokens() + actual.stats().rounds(),
                    "every round emits its accepted tokens plus one");
        }
        assertTrue(accepted > 0, drafter.name() + " never had a token accepted: the test would prove nothing");
    }

    private static GenerationConfig greedy(int gamma) {
        return GenerationConfig.defaults().withMaxNewTokens(40).withIgnoreEos(true).withNumAssistantTokens(gamma);
    }

    @Test
    void shouldMatchAutoregressiveWithADraftModelChain() {
        for (int gamma : new int[] {1, 3, 6}) {
            assertIdentical(new ModelDrafter(draftModel, null, 96, 0f), greedy(gamma));
        }
    }

    @Test
    void shouldMatchAutoregressiveWithADraftModelTree() {
        assertIdentical(new ModelDrafter(draftModel, null, 96, 0f, 3), greedy(4));
    }

    @Test
    void shouldMatchAutoregressiveWithADynamicDraftTree() {
        for (int nodes : new int[] {1, 6, 20}) {
            assertIdentical(new DynamicTreeDrafter(draftModel, null, 96, 3, nodes), greedy(5));
        }
    }

    @Test
    void shouldMatchAutoregressiveWithAFeatureDraft(@TempDir Path dir) throws IOException {
        // reads the target's residual stream after layers 1 and 2, over a reduced vocabulary
        int[] draftVocab = new int[48];
        for (int i = 0; i < draftVocab.length; i++) {
            draftVocab[i] = 2 * i + 1;
        }
        RandomFeatureDraft.write(dir, RandomWeights.tinyConfig(false), new int[] {1, 2}, draftVocab, 0.2, 21);
        FeatureDraft draft = FeatureDraft.load(dir, RandomWeights.of(RandomWeights.tinyConfig(false), 7));
        for (int gamma : new int[] {1, 4}) {
            assertIdentical(new FeatureDrafter(draft), greedy(gamma));
        }
        for (int nodes : new int[] {1, 8}) {
            assertIdentical(new FeatureDrafter(draft, 3, nodes), greedy(4));
        }
        // one-token repeats are frequent over 96 ids: most rounds graft a lookup branch onto the tree
        assertIdentical(new LookupFirstDrafter(new FeatureDrafter(draft, 3, 8), 3, 1, true), greedy(4));
    }

    @Test
    void shouldMatchAutoregressiveWithPromptLookup() {
        assertIdentical(new NgramDrafter(), greedy(5));
    }

    @Test
    void shouldMatchAutoregressiveWithEarlyExit() {
        assertIdentical(new EarlyExitDrafter(target, 2, 0f, 1), greedy(4));
    }

    @Test
    void shouldMatchAutoregressiveWithDynamicDraftLengthAndConfidenceStop() {
        assertIdentical(new EarlyExitDrafter(target, 1, 0.2f, 2), greedy(3).withDynamicDraftLength(true));
    }

    @Test
    void shouldSampleReproduciblyForAGivenSeedWithEveryDrafter() {
        SamplingConfig sampling = new SamplingConfig(true, 0.9f, 40, 0.95f, 1.1f, 1234L);
        GenerationConfig config = greedy(3).withSampling(sampling);
        for (Drafter drafter : List.of(new ModelDrafter(draftModel, null, 96, 0f, 2), new NgramDrafter(),
                new DynamicTreeDrafter(draftModel, null, 96, 2, 6),
                new EarlyExitDrafter(target, 2, 0f, 1))) {
            Generator generator = generator(drafter);
            int[] prompt = prompts.get(2);
            GenerationResult first = run(generator, prompt, config);
            GenerationResult again = run(generator, prompt, config);
            assertArrayEquals(first.tokenIds(), again.tokenIds(), drafter.name() + " is not reproducible");
            assertEquals(40, first.tokenIds().length);
            assertTrue(first.stats().rounds() > 0);
        }
    }

    @Test
    void shouldFinishOnTheTargetAloneWhenTheDrafterFails() {
        Drafter failing = new Drafter() {
            @Override
            public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
                return new DraftSession() {
                    int calls;

                    @Override
                    public DraftProposal propose(int[] context, int length, int maxTokens) {
                        if (++calls == 3) {
                            throw new IllegalStateException("draft device lost");
                        }
                        return DraftProposal.chain(context[length - 1]);
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public String name() {
                return "failing";
            }
        };
        int[] prompt = prompts.get(0);
        GenerationResult expected = reference.get(0);
        GenerationResult actual = run(generator(failing), prompt, greedy(2));
        assertArrayEquals(expected.tokenIds(), actual.tokenIds());
        assertNotNull(actual.stats().draftFailure());
        assertTrue(actual.stats().draftFailure().contains("draft device lost"));
    }

    @Test
    void shouldTreatOutOfRangeDraftTokensAsADrafterFailure() {
        Drafter garbage = new Drafter() {
            @Override
            public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
                return new DraftSession() {
                    @Override
                    public DraftProposal propose(int[] context, int length, int maxTokens) {
                        return DraftProposal.chain(1_000_000);
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public String name() {
                return "garbage";
            }
        };
        int[] prompt = prompts.get(1);
        GenerationResult expected = reference.get(1);
        GenerationResult actual = run(generator(garbage), prompt, greedy(2));
        assertArrayEquals(expected.tokenIds(), actual.tokenIds());
        assertTrue(actual.stats().draftFailure().contains("outside the vocabulary"));
    }
}
