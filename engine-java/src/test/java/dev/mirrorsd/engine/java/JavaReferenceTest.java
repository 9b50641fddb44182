package dev.mirrorsd.engine.java;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.hf.HfCheckpoint;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.json;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static dev.mirrorsd.core.testing.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The java engine against Hugging Face transformers (fp32): the tiny random checkpoints of the
 * three families through the fp32 path, and the default target's Q4_1 GGUF through the block
 * kernels. Tolerance 1e-3 absolute on logits, as for the DJL engine: both compute in fp32 from the
 * same widened weights and differ only in summation order.
 */
class JavaReferenceTest {
    private static final float TOLERANCE = 1e-3f;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-mistral", "tiny-qwen2"})
    void shouldMatchTransformersLogitsEarlyExitAndGreedy(String name) {
        JsonObject reference = json(name + "/reference.json");
        int[] prompt = ints(reference.get("input_ids"));
        try (JavaCausalLM model = JavaCausalLM.load(HfCheckpoint.load(path(name)), 2);
             Sequence sequence = model.newSequence(prompt.length + 64)) {
            JsonArray expected = reference.getAsJsonArray("logits");
            Logits last;
            try (ForwardPass pass = sequence.begin(Window.chain(prompt, 0))) {
                for (Map.Entry<String, JsonElement> exit : reference.getAsJsonObject("early_exit").entrySet()) {
                    pass.runTo(Integer.parseInt(exit.getKey()));
                    float diff = maxAbsDifference(lastRow(exit.getValue()), pass.logits(prompt.length - 1).row(0));
                    assertTrue(diff < TOLERANCE, name + " early exit at layer " + exit.getKey() + " differs by " + diff);
                }
                pass.runTo(pass.layers());
                Logits logits = pass.logits(0);
                for (int row = 0; row < prompt.length; row++) {
                    float diff = maxAbsDifference(floats(expected.get(row)), logits.row(row));
                    assertTrue(diff < TOLERANCE, name + " logits of position " + row + " differ by " + diff);
                }
                last = pass.logits(prompt.length - 1);
            }
            int[] greedy = ints(reference.get("greedy"));
            int[] actual = new int[greedy.length];
            for (int i = 0; i < greedy.length; i++) {
                actual[i] = last.argmax(0);
                if (i + 1 < greedy.length) {
                    last = sequence.forward(Window.chain(new int[] {actual[i]}, sequence.length()), 0);
                }
            }
            assertArrayEquals(greedy, actual, name + " greedy continuation");
        }
    }

    private static float[] lastRow(JsonElement element) {
        JsonArray rows = element.getAsJsonArray();
        JsonElement last = rows.get(rows.size() - 1);
        return last.isJsonArray() ? floats(last) : floats(rows);
    }

    @Test
    void shouldScoreATreeWindowLikeTransformersScoresEachPath() {
        JsonObject reference = json("tiny-llama/tree_reference.json");
        int[] prompt = ints(reference.get("input_ids"));
        int[] tokens = ints(reference.get("tree_tokens"));
        int[] parents = ints(reference.get("tree_parents"));
        try (JavaCausalLM model = JavaCausalLM.load(HfCheckpoint.load(path("tiny-llama")), 2);
             Sequence sequence = model.newSequence(prompt.length + tokens.length)) {
            sequence.forward(Window.chain(prompt, 0), prompt.length - 1);
            Logits logits = sequence.forward(Window.tree(tokens, parents, prompt.length), 0);
            JsonArray expected = reference.getAsJsonArray("logits");
            for (int row = 0; row < tokens.length; row++) {
                float diff = maxAbsDifference(floats(expected.get(row)), logits.row(row));
                assertTrue(diff < TOLERANCE, "tree row " + row + " differs by " + diff);
            }
        }
    }

    /** The default target's own Q4_1 blocks, mapped, against transformers' fp32 dequantization of the same file. */
    @Test
    void shouldMatchTransformersOnTheDefaultTargetsQ4_1Gguf() {
        JsonObject reference = json("smollm2/reference.json");
        try (JavaCausalLM model = JavaCausalLM.loadGguf(SmolLM2Target.require(), 2)) {
            for (JsonElement element : reference.getAsJsonArray("prompts")) {
                JsonObject prompt = element.getAsJsonObject();
                int[] ids = ints(prompt.get("input_ids"));
                int[] greedy = ints(prompt.get("greedy"));
                try (Sequence sequence = model.newSequence(ids.length + greedy.length)) {
                    Logits last;
                    try (ForwardPass pass = sequence.begin(Window.chain(ids, 0))) {
                        for (Map.Entry<String, JsonElement> exit : prompt.getAsJsonObject("early_exit").entrySet()) {
                            pass.runTo(Integer.parseInt(exit.getKey()));
                            Logits logits = pass.logits(ids.length - 1);
                            JsonObject expected = exit.getValue().getAsJsonObject();
                            assertEquals(expected.get("argmax").getAsInt(), logits.argmax(0), "early exit at " + exit.getKey());
                        }
                        pass.runTo(pass.layers());
                        last = pass.logits(ids.length - 1);
                        float diff = maxAbsDifference(floats("smollm2/" + prompt.get("last_logits_file").getAsString()), last.row(0));
                        assertTrue(diff < TOLERANCE, "last logits differ by " + diff);
                        if (prompt.has("window_logits_file")) {
                            int[] positions = ints(prompt.get("window_positions"));
                            float[] window = floats("smollm2/" + prompt.get("window_logits_file").getAsString());
                            Logits rows = pass.logits(positions[0]);
                            float windowDiff = maxAbsDifference(window, Arrays.copyOf(rows.values(), window.length));
                            assertTrue(windowDiff < TOLERANCE, "window logits differ by " + windowDiff);
                        }
                    }
                    int[] actual = new int[greedy.length];
                    for (int i = 0; i < greedy.length; i++) {
                        actual[i] = last.argmax(0);
                        if (i + 1 < greedy.length) {
                            last = sequence.forward(Window.chain(new int[] {actual[i]}, sequence.length()), 0);
                        }
                    }
                    assertArrayEquals(greedy, actual, "greedy continuation of " + prompt.get("messages"));
                }
            }
        }
    }
}
