package dev.mirrorsd.engine.djl;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.json;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default target, loaded from its Q4_1 GGUF through the project's own reader, tokenizer and
 * chat template, against transformers' GGUF loader (fixtures/smollm2, see tools/fixtures).
 */
class DjlSmolLM2ReferenceTest {
    private static final float TOLERANCE = 1e-3f;
    private static Checkpoint checkpoint;
    private static DjlCausalLM model;
    private static JsonObject reference;

    @BeforeAll
    static void load() {
        checkpoint = Checkpoint.open(SmolLM2Target.require());
        model = DjlCausalLM.load(checkpoint.weights());
        reference = json("smollm2/reference.json");
    }

    @AfterAll
    static void close() {
        model.close();
        checkpoint.tokenizer().close();
    }

    private static List<JsonObject> prompts() {
        List<JsonObject> prompts = new ArrayList<>();
        reference.getAsJsonArray("prompts").forEach(p -> prompts.add(p.getAsJsonObject()));
        return prompts;
    }

    @Test
    void shouldRenderAndTokenizePromptsAsTransformersDoes() {
        for (JsonObject prompt : prompts()) {
            List<ChatMessage> messages = new ArrayList<>();
            prompt.getAsJsonArray("messages").forEach(m -> messages.add(new ChatMessage(
                    m.getAsJsonObject().get("role").getAsString(), m.getAsJsonObject().get("content").getAsString())));
            String text = checkpoint.chatTemplate().render(messages, true);
            assertEquals(prompt.get("text").getAsString(), text);
            assertArrayEquals(ints(prompt.get("input_ids")), checkpoint.tokenizer().encode(text));
        }
    }

    @Test
    void shouldMatchLastPositionLogitsAndEarlyExitTopTokens() {
        int index = 0;
        for (JsonObject prompt : prompts()) {
            int[] ids = ints(prompt.get("input_ids"));
            try (Sequence sequence = model.newSequence(ids.length);
                 ForwardPass pass = sequence.begin(Window.chain(ids, 0))) {
                for (Map.Entry<String, JsonElement> exit : prompt.getAsJsonObject("early_exit").entrySet()) {
                    pass.runTo(Integer.parseInt(exit.getKey()));
                    Logits logits = pass.logits(ids.length - 1);
                    JsonObject expected = exit.getValue().getAsJsonObject();
                    assertEquals(expected.get("argmax").getAsInt(), logits.argmax(0), "early exit at " + exit.getKey());
                    int[] top5 = ints(expected.get("top5_ids"));
                    float[] values = floats(expected.get("top5_values"));
                    for (int k = 0; k < top5.length; k++) {
                        assertTrue(Math.abs(values[k] - logits.get(0, top5[k])) < TOLERANCE,
                                "early exit at " + exit.getKey() + ", token " + top5[k]);
                    }
                }
                pass.runTo(pass.layers());
                float diff = maxAbsDifference(floats("smollm2/" + prompt.get("last_logits_file").getAsString()),
                        pass.logits(ids.length - 1).row(0));
                assertTrue(diff < TOLERANCE, "prompt " + index + " last logits differ by " + diff);
                if (prompt.has("window_logits_file")) {
                    int[] positions = ints(prompt.get("window_positions"));
                    float[] window = floats("smollm2/" + prompt.get("window_logits_file").getAsString());
                    Logits rows = pass.logits(positions[0]);
                    float windowDiff = maxAbsDifference(window, Arrays.copyOf(rows.values(), window.length));
                    assertTrue(windowDiff < TOLERANCE, "window logits differ by " + windowDiff);
                }
            }
            index++;
        }
    }

    @Test
    void shouldContinueGreedilyTokenForTokenAsTransformers() {
        for (JsonObject prompt : prompts()) {
            int[] ids = ints(prompt.get("input_ids"));
            int[] greedy = ints(prompt.get("greedy"));
            int[] actual = new int[greedy.length];
            try (Sequence sequence = model.newSequence(ids.length + greedy.length)) {
                Logits logits = sequence.forward(Window.chain(ids, 0), ids.length - 1);
                for (int i = 0; i < greedy.length; i++) {
                    actual[i] = logits.argmax(0);
                    if (i + 1 < greedy.length) {
                        logits = sequence.forward(Window.chain(new int[] {actual[i]}, sequence.length()), 0);
                    }
                }
            }
            assertArrayEquals(greedy, actual, "greedy continuation of " + prompt.get("messages"));
            assertEquals(prompt.get("greedy_text").getAsString(), checkpoint.tokenizer().decode(actual));
        }
    }
}
