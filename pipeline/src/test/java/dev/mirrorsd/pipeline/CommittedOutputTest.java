package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.pipeline.profile.Profiler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streamed text with the default target's tokenizer: what the listener receives, delta by delta,
 * adds up to the final text, which is what decoding all generated tokens at once gives, cut before
 * the first stop string; commits of any size, multi-byte characters split across tokens.
 */
class CommittedOutputTest {

    private static final String[] TEXTS = {
        "The quick brown fox jumps over the lazy dog.  Twice:\n\tthe quick brown fox!",
        "naïve café, 日本語のテキスト, emoji 🙂🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 — done.",
        "def f(x):\n    return x ** 2  # squares\n\nprint(f(3))",
        " leading space, trailing space ",
    };

    private static TextTokenizer tokenizer;
    private static ModelConfig model;

    @BeforeAll
    static void openTokenizer() {
        Checkpoint checkpoint = Checkpoint.open(SmolLM2Target.require());
        tokenizer = checkpoint.tokenizer();
        model = checkpoint.config();
    }

    /** Commits ids in chunks of 1 to maxChunk tokens; returns the listener's deltas and the output. */
    private static Streamed stream(int[] ids, GenerationConfig config, int maxChunk, long seed) {
        List<String> deltas = new ArrayList<>();
        CommittedOutput out = new CommittedOutput(tokenizer, model, config, (tokens, delta) -> deltas.add(delta),
                new int[] {1, 2, 3}, Profiler.OFF);
        Random random = new Random(seed);
        int at = 0;
        while (at < ids.length && !out.done()) {
            int n = Math.min(ids.length - at, 1 + random.nextInt(maxChunk));
            out.commit(Arrays.copyOfRange(ids, at, at + n));
            at += n;
        }
        return new Streamed(deltas, out);
    }

    private record Streamed(List<String> deltas, CommittedOutput output) {
        String joined() {
            return String.join("", deltas);
        }
    }

    @Test
    void shouldStreamWhatDecodingEverythingGives() {
        for (String text : TEXTS) {
            int[] ids = tokenizer.encode(text);
            String whole = tokenizer.decode(ids);
            for (int maxChunk : new int[] {1, 2, 5}) {
                GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(ids.length).withIgnoreEos(true);
                Streamed s = stream(ids, config, maxChunk, maxChunk);
                assertEquals(whole, s.output().text(), text);
                assertEquals(whole, s.joined(), text);
                assertEquals(FinishReason.LENGTH, s.output().finishReason());
                for (String delta : s.deltas()) {
                    assertFalse(delta.contains("\uFFFD"), "a delta with half a character: " + text);
                }
            }
        }
    }

    @Test
    void shouldCutBeforeAStopStringAndNeverStreamItsBeginning() {
        String text = "The answer is 42. Then more text follows, 42 again.";
        int[] ids = tokenizer.encode(text);
        for (String stop : List.of("42.", "more", "is 4", "never appears", "日本")) {
            String whole = tokenizer.decode(ids);
            int at = whole.indexOf(stop);
            String expected = at < 0 ? whole : whole.substring(0, at);
            for (int maxChunk : new int[] {1, 3}) {
                GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(ids.length)
                        .withIgnoreEos(true).withStopStrings(List.of("never-matching-longer-stop", stop));
                Streamed s = stream(ids, config, maxChunk, 7);
                assertEquals(expected, s.output().text(), stop);
                assertEquals(expected, s.joined(), "streamed text past the cut for stop '" + stop + "'");
                assertEquals(at < 0 ? FinishReason.LENGTH : FinishReason.STOP, s.output().finishReason(), stop);
            }
        }
    }

    @Test
    void shouldHoldBackOnlyWhatCouldBeginAStopString() {
        int[] ids = tokenizer.encode("one two three four five six");
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(ids.length).withIgnoreEos(true)
                .withStopStrings(List.of("xyz"));
        Streamed s = stream(ids, config, 1, 1);
        // before the last commit the listener has seen all but the last two characters (a stop of 3)
        String beforeLast = String.join("", s.deltas().subList(0, s.deltas().size() - 1));
        String whole = tokenizer.decode(ids);
        assertEquals(whole.substring(0, whole.length() - 2 - lastTokenLength(ids)), beforeLast);
        assertEquals(whole, s.joined());
    }

    private static int lastTokenLength(int[] ids) {
        return tokenizer.decode(ids).length() - tokenizer.decode(Arrays.copyOf(ids, ids.length - 1)).length();
    }

    @Test
    void shouldKeepEndOfSequenceOutOfTheText() {
        int[] ids = tokenizer.encode("short answer");
        int eos = model.eosTokenIds()[0];
        int[] withEos = Arrays.copyOf(ids, ids.length + 2);
        withEos[ids.length] = eos;
        withEos[ids.length + 1] = ids[0]; // after EOS: dropped, never shown
        Streamed s = stream(withEos, GenerationConfig.defaults().withMaxNewTokens(64), 2, 3);
        assertEquals(tokenizer.decode(ids), s.output().text());
        assertEquals(s.output().text(), s.joined());
        assertEquals(FinishReason.STOP, s.output().finishReason());
        assertTrue(s.output().generated() <= ids.length + 1);
    }
}
