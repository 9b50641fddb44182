package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ChunkedSequence;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.PrefillProgress;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.draft.Drafter;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.draft.FeatureDrafter;
import dev.mirrorsd.draft.NgramDrafter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A feature draft is handed the target's hidden states of exactly the committed positions: those
 * of the prefill, then of each window's kept rows (the last committed token and the accepted path),
 * position by position. Checked against one fresh pass over the whole committed sequence.
 */
class FeatureHandOverTest {
    private static final int[] LAYERS = {1, 3};

    @Test
    void shouldHandTheDraftTheTargetsHiddenStatesOfEveryCommittedPosition() {
        try (CausalLM target = Engines.load(ModelSource.of(RandomWeights.of(RandomWeights.tinyConfig(false), 7)),
                "pytorch:cpu")) {
            assertEquals(List.of(), checkHandOver(target, target), "a prompt taken whole reports no progress");
        }
    }

    @Test
    void shouldHandOverThePromptsHiddenStatesWhereTheTargetTakesItInChunks() {
        // an engine with a window limit (the java engine's prefill chunk, a compiled graph's rows)
        // keeps no hidden states of a chunked pass's head rows: the 12-token prompt goes in 5-row pieces
        try (CausalLM inner = Engines.load(ModelSource.of(RandomWeights.of(RandomWeights.tinyConfig(false), 7)),
                "pytorch:cpu")) {
            List<Integer> progress = checkHandOver(inner, new CausalLM() {
                @Override
                public ModelConfig config() {
                    return inner.config();
                }

                @Override
                public Sequence newSequence(int capacity) {
                    return new ChunkedSequence(inner.newSequence(capacity), 5);
                }

                @Override
                public String device() {
                    return inner.device() + ", 5 rows a pass";
                }

                @Override
                public void close() {
                }
            });
            assertEquals(List.of(5, 10, 12), progress, "the prefill's progress, piece by piece");
        }
    }

    /**
     * {@code target}'s generation hands over what one fresh pass of {@code reference} (same weights)
     * computes; returns the prefill progress it reported.
     */
    private static List<Integer> checkHandOver(CausalLM reference, CausalLM target) {
        List<Integer> progress = new ArrayList<>();
        {
            int hidden = target.config().hiddenSize();
            Recording drafter = new Recording(hidden);
            Generator generator = Generator.speculative(target, new IdTokenizer(96), null, drafter);
            // a small alphabet repeats n-grams: prompt lookup's drafts are accepted now and then
            int[] prompt = {3, 4, 5, 3, 4, 5, 6, 3, 4, 5, 3, 4};
            GenerationResult result = PrefillProgress.reporting((fed, total) -> progress.add(fed),
                    () -> generator.generateFromIds(prompt, GenerationConfig.defaults().withMaxNewTokens(30)
                            .withIgnoreEos(true).withNumAssistantTokens(3), TokenListener.NONE, new Cancellation()));
            assertTrue(result.stats().acceptedTokens() > 0, "no draft token accepted: kept paths go untested");
            int[] all = new int[prompt.length + result.tokenIds().length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(result.tokenIds(), 0, all, prompt.length, result.tokenIds().length);
            int cached = all.length - 1; // the newest token never enters the cache
            float[][] expected = new float[LAYERS.length][cached * hidden];
            try (Sequence fresh = reference.newSequence(all.length);
                 ForwardPass pass = fresh.begin(Window.chain(Arrays.copyOf(all, cached), 0))) {
                for (int l = 0; l < LAYERS.length; l++) {
                    pass.runTo(LAYERS[l]);
                    pass.hiddenStates(0, expected[l]);
                }
            }
            for (int position = 0; position < cached; position++) {
                float[] handed = drafter.features.get(position);
                assertNotNull(handed, "no features handed over for position " + position);
                for (int l = 0; l < LAYERS.length; l++) {
                    for (int i = 0; i < hidden; i++) {
                        assertEquals(expected[l][position * hidden + i], handed[l * hidden + i], 1e-4,
                                "layer " + LAYERS[l] + " at position " + position);
                    }
                }
            }
        }
        return progress;
    }

    @Test
    void shouldFinishOnTheTargetWhenItsEngineGivesNoHiddenStates(@TempDir Path dir) throws IOException {
        MarkovLM target = MarkovLM.random(6, 41, 1.5).withoutHiddenStates();
        RandomFeatureDraft.write(dir, target.config(), new int[] {1}, new int[] {0, 1, 2, 3, 4, 5}, 0.5, 3);
        FeatureDraft draft = FeatureDraft.load(dir, RandomWeights.of(target.config(), 5));
        int[] prompt = {1, 2, 3};
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(12).withIgnoreEos(true);
        GenerationResult expected = Generator.of(target, new IdTokenizer(6), null)
                .generateFromIds(prompt, config, TokenListener.NONE, new Cancellation());
        GenerationResult actual = Generator.speculative(target, new IdTokenizer(6), null, new FeatureDrafter(draft))
                .generateFromIds(prompt, config, TokenListener.NONE, new Cancellation());
        assertArrayEquals(expected.tokenIds(), actual.tokenIds());
        assertNotNull(actual.stats().draftFailure());
        assertTrue(actual.stats().draftFailure().contains("hidden states"), actual.stats().draftFailure());
    }

    /** Prompt lookup's proposals, recording every feature row it is handed, by position. */
    private static final class Recording implements Drafter {
        final Map<Integer, float[]> features = new HashMap<>();
        private final int hidden;

        Recording(int hidden) {
            this.hidden = hidden;
        }

        @Override
        public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
            DraftSession lookup = new NgramDrafter().open(sampling, random, capacity);
            return new DraftSession() {
                @Override
                public DraftProposal propose(int[] context, int length, int maxTokens) {
                    return lookup.propose(context, length, maxTokens);
                }

                @Override
                public int[] featureLayers() {
                    return LAYERS.clone();
                }

                @Override
                public void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
                    assertEquals(LAYERS.length * hidden, width);
                    for (int i = 0; i < rows.length; i++) {
                        features.put(firstPosition + i, Arrays.copyOfRange(window, rows[i] * width,
                                (rows[i] + 1) * width));
                    }
                }

                @Override
                public void close() {
                    lookup.close();
                }
            };
        }

        @Override
        public String name() {
            return "recording";
        }
    }
}
