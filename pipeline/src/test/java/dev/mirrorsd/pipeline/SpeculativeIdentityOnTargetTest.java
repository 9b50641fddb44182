package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.engine.DeviceId;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.core.testing.SpecBenchQuestions;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.draft.DraftCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lossless means lossless: on Spec-Bench questions of every category and a few prompts of our own,
 * greedy speculative output of the default target equals its greedy autoregressive output
 * token for token, for every drafter, with chain and tree windows (early exit only as a tree: its
 * chains are the tree's first branch, and the suite must fit CI's time on two cores), and for
 * Mirror-SD at several (l_e, kappa, gamma).
 *
 * <p>By default one question a category (17 prompts), so that CI fits its time on two cores; with
 * {@code -Dmirrorsd.identity.full=true} four a category (56 prompts), the set to run before a release.
 * The target and the draft run on the default CPU engine ({@code java:cpu});
 * {@code -Dmirrorsd.identity.engine=pytorch:cpu} runs the same checks on another engine (DJL's windows
 * and caches are also checked on random models by {@link SpeculativeIdentityOnRandomModelsTest}).
 */
class SpeculativeIdentityOnTargetTest {
    private static final int NEW_TOKENS = 16;
    private static final String ENGINE = System.getProperty("mirrorsd.identity.engine", "java:cpu");
    private static final boolean FULL = Boolean.getBoolean("mirrorsd.identity.full");
    private static final int PER_CATEGORY = FULL ? 4 : 1;
    private static Checkpoint checkpoint;
    private static CausalLM target;
    private static DraftOptions withDraft;
    private static final List<int[]> PROMPTS = new ArrayList<>();
    private static final List<int[]> REFERENCE = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        checkpoint = Checkpoint.open(SmolLM2Target.require());
        DraftCheckpoint draft = DraftCheckpoint.load(draftDir(), checkpoint.weights());
        withDraft = DraftOptions.defaults().withDraft(Engines.load(ModelSource.of(draft.weights()), ENGINE), null, draft.draftToTarget());
        target = Engines.load(ModelSource.of(checkpoint.weights()), ENGINE);
        Generator autoregressive = Generator.of(target, checkpoint.tokenizer(), checkpoint.chatTemplate());
        for (String prompt : prompts()) {
            int[] ids = autoregressive.encode(List.of(ChatMessage.user(prompt)));
            PROMPTS.add(ids);
            REFERENCE.add(autoregressive.generateFromIds(ids, config(4), TokenListener.NONE, new Cancellation()).tokenIds());
        }
    }

    @AfterAll
    static void close() {
        withDraft.draftModel().close();
        target.close();
        checkpoint.tokenizer().close();
    }

    /**
     * The first turn of the shortest questions of each Spec-Bench category (prefill on two cores
     * costs ~3 ms a token, and the longest RAG prompts run to thousands), then prompts of our own.
     */
    static List<String> prompts() throws IOException {
        Path questions = SpecBenchQuestions.file();
        Map<String, List<String>> byCategory = new LinkedHashMap<>();
        for (String line : Files.readAllLines(questions)) {
            JsonObject q = JsonParser.parseString(line).getAsJsonObject();
            byCategory.computeIfAbsent(q.get("category").getAsString(), c -> new ArrayList<>())
                    .add(q.getAsJsonArray("turns").get(0).getAsString());
        }
        List<String> prompts = new ArrayList<>();
        for (List<String> category : byCategory.values()) {
            category.stream().sorted(java.util.Comparator.comparingInt(String::length)).limit(PER_CATEGORY)
                    .forEach(prompts::add);
        }
        prompts.add("Repeat exactly: alpha beta gamma delta, alpha beta gamma delta, alpha beta gamma delta.");
        prompts.add("Count from one to twenty in words, separated by commas.");
        prompts.add("Write the word 'hello' ten times.");
        prompts.add("def fibonacci(n):\n    # complete this Python function");
        int least = FULL ? 50 : 15;
        assertTrue(prompts.size() >= least, "need at least " + least + " prompts, have " + prompts.size());
        return prompts;
    }

    static GenerationConfig config(int gamma) {
        return GenerationConfig.defaults().withMaxNewTokens(NEW_TOKENS).withIgnoreEos(true).withNumAssistantTokens(gamma);
    }

    private void assertLossless(Strategy strategy, DraftOptions options, int gamma) {
        assertLossless(strategy, options, gamma, 0, 1);
    }

    /**
     * Checks every {@code stride}-th prompt from {@code first}; returns the Mirror-SD hits, if any, summed.
     * The costliest settings (streaming heads, early-exit trees, Mirror-SD's other settings) take every
     * second prompt, one the even ones and its partner the odd ones, so that every prompt is still
     * checked by each pair while CI pays each prompt's prefill fewer times.
     */
    private int assertLossless(Strategy strategy, DraftOptions options, int gamma, int first, int stride) {
        Generator generator = Generators.build(strategy, target, checkpoint.tokenizer(), checkpoint.chatTemplate(), options);
        long accepted = 0;
        int hits = 0;
        for (int i = first; i < PROMPTS.size(); i += stride) {
            GenerationResult result = generator.generateFromIds(PROMPTS.get(i), config(gamma), TokenListener.NONE,
                    new Cancellation());
            assertArrayEquals(REFERENCE.get(i), result.tokenIds(), strategy + " diverged on prompt " + i);
            assertEquals(NEW_TOKENS, result.stats().acceptedTokens() + result.stats().rounds());
            assertNull(result.stats().draftFailure());
            accepted += result.stats().acceptedTokens();
            hits += result.stats().mirror() == null ? 0 : result.stats().mirror().hits();
        }
        assertTrue(accepted > 0, strategy + " never had a draft token accepted: the test would prove nothing");
        return hits;
    }

    @Test
    void shouldBeLosslessWithDraftModelChains() {
        assertLossless(Strategy.DRAFT, withDraft, 4);
    }

    @Test
    void shouldBeLosslessWithDraftModelTrees() {
        assertLossless(Strategy.DRAFT, withDraft.withRootBranches(3), 4);
    }

    @Test
    void shouldBeLosslessWithStreamingHeads() {
        assertLossless(Strategy.STREAMING, withDraft, 6, 1, 2); // odd prompts; early-exit trees take the even
    }

    @Test
    void shouldBeLosslessWithPromptLookupChains() {
        assertLossless(Strategy.PROMPT_LOOKUP, DraftOptions.defaults(), 4);
    }

    @Test
    void shouldBeLosslessWithMirrorAtTheDefaultSetting() {
        // l_e 24, kappa 2, proxy over the draft's vocabulary, branches through the multi-token heads
        int hits = assertLossless(Strategy.MIRROR, withDraft.withExitLayer(24), 4, 0, 1);
        assertTrue(hits > 0, "no rolled-out branch was ever reused");
    }

    @Test
    void shouldBeLosslessWithMirrorAtOtherSettings() {
        // an early exit, wide candidates over the full vocabulary, short branches; a late one, long branches
        assertLossless(Strategy.MIRROR, withDraft.withExitLayer(16)
                .withMirror(MirrorOptions.defaults().withKappa(4).withNarrowEarlyExit(false)), 2, 0, 2);
        assertLossless(Strategy.MIRROR, withDraft.withExitLayer(28)
                .withMirror(MirrorOptions.defaults().withKappa(1)), 6, 1, 2);
    }

    @Test
    void shouldBeLosslessWithMirrorAndTheDraftOnOnnxRuntime() {
        // the draft pipeline on another engine: what a plan "draft=onnxruntime:cpu" loads
        CausalLM onnx = Engines.load(DraftCheckpoint.source(draftDir(), checkpoint.weights()), DeviceId.parse("onnxruntime:cpu"), 1);
        try {
            assertLossless(Strategy.MIRROR, withDraft.withDraft(onnx, null, withDraft.draftToTarget()).withExitLayer(24),
                    3, 0, 3);
        } finally {
            onnx.close();
        }
    }

    private static Path draftDir() {
        return Path.of(System.getProperty("mirrorsd.repo", "."), "models", "draft");
    }

    @Test
    void shouldBeLosslessWithEarlyExitTrees() {
        assertLossless(Strategy.EARLY_EXIT, DraftOptions.defaults().withExitLayer(20).withRootBranches(3), 3, 0, 2);
    }
}
