package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The target's engine throws mid-request: the request ends with a {@link GenerationException}
 * carrying the tokens committed so far, every cache is closed, and the generator's next request
 * is served as if nothing had happened.
 */
class TargetFailureTest {
    private static CausalLM target;
    private static CausalLM draft;
    private static InstrumentedCausalLM faulty;

    @BeforeAll
    static void load() {
        target = TinyModels.target();
        draft = TinyModels.draftWithHeads();
        faulty = new InstrumentedCausalLM(target);
    }

    @AfterAll
    static void close() {
        draft.close();
        target.close();
    }

    @Test
    void aTargetFailureCarriesTheCommittedTokensAndTheGeneratorServesTheNextRequest() {
        int[] prompt = {5, 6, 7, 5, 6, 7};
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(20).withIgnoreEos(true)
                .withNumAssistantTokens(3);
        // early exit drafts with the target's own layers, which the fault injector does not wrap
        for (Strategy strategy : List.of(Strategy.AUTOREGRESSIVE, Strategy.DRAFT, Strategy.PROMPT_LOOKUP,
                Strategy.STREAMING)) {
            Generator generator = Generators.build(strategy, faulty, new IdTokenizer(TinyModels.VOCAB), null,
                    TinyModels.options(draft));
            faulty.failAtPass(0);
            int[] full = generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation()).tokenIds();
            int targetArrays = target.liveArrays();
            int draftArrays = draft.liveArrays();
            for (int failAt : new int[] {1, 2, 4}) {
                faulty.failAtPass(failAt);
                GenerationException e = assertThrows(GenerationException.class, () ->
                        generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation()));
                String where = strategy + " failing at forward pass " + failAt;
                int[] committed = e.committedTokens();
                // the prefill is pass 1; every target pass before the failing one committed at least a token
                assertTrue(failAt == 1 ? committed.length == 0 : committed.length >= failAt - 1,
                        where + ": committed " + committed.length);
                assertArrayEquals(Arrays.copyOf(full, committed.length), committed, where + ": not a prefix");
                assertTrue(e.getMessage().contains("after " + committed.length + " committed tokens"), e.getMessage());
                assertTrue(e.getCause().getMessage().contains("device lost"), where);
                assertEquals(0, faulty.openSequences(), where + ": a target cache left open");
                assertEquals(0, faulty.openPasses(), where + ": a forward pass left open");
                assertEquals(targetArrays, target.liveArrays(), where + ": target arrays left behind");
                assertEquals(draftArrays, draft.liveArrays(), where + ": draft arrays left behind");
            }
            faulty.failAtPass(0);
            assertArrayEquals(full, generator.generateFromIds(prompt, config, TokenListener.NONE, new Cancellation())
                    .tokenIds(), strategy + ": the next request differs");
        }
    }

    @Test
    void aFailingListenerEndsTheRequestTheSameWay() {
        Generator generator = Generator.of(target, new IdTokenizer(TinyModels.VOCAB), null);
        int arrays = target.liveArrays();
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(10).withIgnoreEos(true);
        int[] calls = new int[1];
        GenerationException e = assertThrows(GenerationException.class, () ->
                generator.generateFromIds(new int[] {5, 6}, config, (ids, text) -> {
                    if (++calls[0] == 3) {
                        throw new IllegalStateException("client went away");
                    }
                }, new Cancellation()));
        assertEquals(3, e.committedTokens().length);
        assertEquals(arrays, target.liveArrays());
    }
}
