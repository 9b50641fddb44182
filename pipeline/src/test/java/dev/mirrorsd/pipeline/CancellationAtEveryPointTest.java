package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cancellation at every point a request looks (before the prefill, at each round boundary, after
 * drafting, after the verification forward), for every strategy: the request returns the tokens
 * committed so far, frees every native array it allocated, and the generator's next request is
 * unaffected.
 */
class CancellationAtEveryPointTest {
    private static CausalLM target;
    private static CausalLM draft;

    @BeforeAll
    static void load() {
        target = TinyModels.target();
        draft = TinyModels.draftWithHeads();
    }

    @AfterAll
    static void close() {
        draft.close();
        target.close();
    }

    @Test
    void cancellingAtAnyCheckKeepsThePrefixFreesEveryArrayAndLeavesTheGeneratorUsable() {
        int[] prompt = {5, 6, 7, 5, 6, 7, 8};
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(12).withIgnoreEos(true)
                .withNumAssistantTokens(3);
        for (Strategy strategy : TinyModels.STRATEGIES) {
            Generator generator = Generators.build(strategy, target, new IdTokenizer(TinyModels.VOCAB), null,
                    TinyModels.options(draft));
            int[] full = generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation()).tokenIds();
            int targetArrays = target.liveArrays();
            int draftArrays = draft.liveArrays();
            int points = 0;
            for (int check = 1; ; check++) {
                GenerationResult result = generator.generateFromIds(prompt, config, TokenListener.NONE,
                        Cancellation.atCheck(check));
                String where = strategy + " cancelled at check " + check;
                assertEquals(targetArrays, target.liveArrays(), where + ": target arrays left behind");
                assertEquals(draftArrays, draft.liveArrays(), where + ": draft arrays left behind");
                int[] tokens = result.tokenIds();
                assertArrayEquals(Arrays.copyOf(full, tokens.length), tokens, where + ": not a prefix of the full output");
                if (result.finishReason() != FinishReason.CANCELLED) {
                    assertArrayEquals(full, tokens, where); // the request ended before its check-th look
                    break;
                }
                if (check == 1) {
                    assertEquals(0, tokens.length, where + ": the first look is before the prefill");
                }
                points++;
            }
            // autoregressive looks once per token; the speculative loops three times per round
            assertTrue(points >= full.length, strategy + " looked at its cancellation only " + points + " times");
            assertArrayEquals(full, generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation())
                    .tokenIds(), strategy + ": the next request differs");
        }
    }

    @Test
    void aCancellationRaisedFromAnotherThreadMidRequestStopsIt() {
        Generator generator = Generators.build(Strategy.DRAFT, target, new IdTokenizer(TinyModels.VOCAB), null,
                TinyModels.options(draft));
        int arrays = target.liveArrays();
        Cancellation cancellation = new Cancellation();
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(200).withIgnoreEos(true);
        // the listener stands in for a user who hits stop after the first tokens stream out
        GenerationResult result = generator.generateFromIds(new int[] {5, 6, 7}, config, (ids, text) -> {
            if (!cancellation.isCancelled()) {
                new Thread(cancellation::cancel).start();
            }
        }, cancellation);
        assertEquals(FinishReason.CANCELLED, result.finishReason());
        assertTrue(result.tokenIds().length < 200);
        assertEquals(arrays, target.liveArrays());
    }
}
