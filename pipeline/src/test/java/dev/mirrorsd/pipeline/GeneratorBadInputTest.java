package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.testing.RandomWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad requests as a user makes them: each is refused with an IllegalArgumentException that says what
 * is wrong, and the generator serves the next request as if nothing had happened.
 */
class GeneratorBadInputTest {
    private static final int VOCAB = 96;   // RandomWeights.tinyConfig
    private static final int CONTEXT = 256;
    private static CausalLM target;
    private static Generator generator;

    @BeforeAll
    static void load() {
        target = Engines.load(ModelSource.of(RandomWeights.of(RandomWeights.tinyConfig(false), 7)), "pytorch:cpu");
        generator = Generator.of(target, new IdTokenizer(VOCAB), null);
    }

    @AfterAll
    static void close() {
        target.close();
    }

    private static GenerationResult run(int[] prompt, int maxNewTokens) {
        return generator.generateFromIds(prompt, GenerationConfig.defaults().withMaxNewTokens(maxNewTokens),
                TokenListener.NONE, new Cancellation());
    }

    private static void assertRefused(String fragment, Executable request) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, request);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @AfterEach
    void generatorStaysUsable() {
        assertEquals(4, run(new int[] {5, 6, 7}, 4).tokenIds().length);
    }

    @Test
    void shouldRefuseAnEmptyPrompt() {
        assertRefused("the prompt is empty", () -> generator.generate("", GenerationConfig.defaults()));
        assertRefused("the prompt is empty", () -> run(new int[0], 4));
    }

    @Test
    void shouldRefuseAPromptOverTheContext() {
        int[] tooLong = new int[CONTEXT + 1];
        Arrays.fill(tooLong, 5);
        assertRefused("exceeds the model's context of 256 tokens", () -> run(tooLong, 1));
        int[] fits = new int[CONTEXT - 3];
        Arrays.fill(fits, 5);
        assertRefused("max_new_tokens 4 exceeds", () -> run(fits, 4));
    }

    @Test
    void shouldRefuseTokenIdsOutsideTheVocabularyBeforeAllocatingACache() {
        assertRefused("prompt token id 96 at position 1 is outside the model's vocabulary [0, 96)",
                () -> run(new int[] {5, VOCAB, 7}, 4));
        assertRefused("prompt token id -1 at position 0", () -> run(new int[] {-1}, 4));
        assertRefused("prompt token id 2147483647", () -> run(new int[] {5, Integer.MAX_VALUE}, 4));
    }

    @Test
    void shouldRefuseBadGenerationSettings() {
        assertRefused("max_new_tokens must be > 0, got 0", () -> GenerationConfig.defaults().withMaxNewTokens(0));
        assertRefused("max_new_tokens must be > 0, got -3", () -> GenerationConfig.defaults().withMaxNewTokens(-3));
        assertRefused("num_assistant_tokens must be > 0", () -> GenerationConfig.defaults().withNumAssistantTokens(0));
    }

    @Test
    void shouldRefuseSamplingSettingsOutsideTheirRanges() {
        assertRefused("top_p must be in (0, 1]", () -> SamplingConfig.sampling(1f, 0, 0f, 1));
        assertRefused("top_p must be in (0, 1]", () -> SamplingConfig.sampling(1f, 0, 1.5f, 1));
        assertRefused("top_p must be in (0, 1]", () -> SamplingConfig.sampling(1f, 0, Float.NaN, 1));
        assertRefused("temperature must be a finite value >= 0", () -> SamplingConfig.sampling(-0.5f, 0, 1f, 1));
        assertRefused("temperature must be a finite value >= 0",
                () -> SamplingConfig.sampling(Float.POSITIVE_INFINITY, 0, 1f, 1));
        assertRefused("top_k must be >= 0", () -> SamplingConfig.sampling(1f, -1, 1f, 1));
        assertRefused("repetition_penalty", () -> SamplingConfig.greedy().withRepetitionPenalty(0f));
    }

    @Test
    void shouldRefuseADraftWhoseVocabularyDiffersFromTheTarget() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        try (CausalLM draft = Engines.load(ModelSource.of(RandomWeights.of(config, 8)), "pytorch:cpu")) {
            DraftOptions smaller = DraftOptions.defaults().withDraft(draft, new IdTokenizer(VOCAB - 1), null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    Generators.build(Strategy.DRAFT, target, new IdTokenizer(VOCAB), null, smaller));
            assertTrue(e.getMessage().contains("the draft's tokenizer has 95 tokens, the target's 96"), e.getMessage());

            DraftOptions renamed = DraftOptions.defaults().withDraft(draft, new ShiftedIdTokenizer(VOCAB), null);
            e = assertThrows(IllegalArgumentException.class, () ->
                    Generators.build(Strategy.DRAFT, target, new IdTokenizer(VOCAB), null, renamed));
            assertTrue(e.getMessage().contains("differs from the target's at id 0"), e.getMessage());
        }
    }

    /** Same size as IdTokenizer, every token spelled differently. */
    private static final class ShiftedIdTokenizer implements dev.mirrorsd.core.tokenizer.TextTokenizer {
        private final IdTokenizer ids;

        ShiftedIdTokenizer(int vocab) {
            ids = new IdTokenizer(vocab);
        }

        @Override
        public int[] encode(String text) {
            return ids.encode(text);
        }

        @Override
        public String decode(int[] tokenIds) {
            return ids.decode(tokenIds);
        }

        @Override
        public int vocabSize() {
            return ids.vocabSize();
        }

        @Override
        public String tokenString(int id) {
            return "t" + ids.tokenString(id);
        }

        @Override
        public int tokenId(String token) {
            return ids.tokenId(token.substring(1));
        }

        @Override
        public void close() {
        }
    }
}
