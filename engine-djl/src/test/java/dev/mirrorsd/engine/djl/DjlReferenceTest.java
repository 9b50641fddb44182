package dev.mirrorsd.engine.djl;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.hf.HfCheckpoint;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.json;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static dev.mirrorsd.core.testing.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DJL engine against Hugging Face transformers on tiny random checkpoints of the three
 * families (fixtures from tools/fixtures/make_model_fixtures.py): logits of every prompt position,
 * early-exit logits, a 64-token greedy continuation, and a tree window.
 */
class DjlReferenceTest {
    private static final float TOLERANCE = 1e-3f;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-mistral", "tiny-qwen2"})
    void shouldMatchTransformersLogitsEarlyExitAndGreedy(String name) {
        JsonObject reference = json(name + "/reference.json");
        int[] prompt = ints(reference.get("input_ids"));
        try (DjlCausalLM model = DjlCausalLM.load(HfCheckpoint.load(path(name)));
             Sequence sequence = model.newSequence(prompt.length + 64)) {
            JsonArray expected = reference.getAsJsonArray("logits");
            Logits last;
            try (ForwardPass pass = sequence.begin(Window.chain(prompt, 0))) {
                // early exit: layer l's hidden state through the final norm and LM head
                for (Map.Entry<String, JsonElement> exit : reference.getAsJsonObject("early_exit").entrySet()) {
                    pass.runTo(Integer.parseInt(exit.getKey()));
                    Logits logits = pass.logits(prompt.length - 1);
                    float diff = maxAbsDifference(lastRow(exit.getValue()), logits.row(0));
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

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama"})
    void shouldScoreATreeWindowLikeTransformersScoresEachPath(String name) {
        JsonObject reference = json(name + "/tree_reference.json");
        int[] prompt = ints(reference.get("input_ids"));
        int[] tokens = ints(reference.get("tree_tokens"));
        int[] parents = ints(reference.get("tree_parents"));
        try (DjlCausalLM model = DjlCausalLM.load(HfCheckpoint.load(path(name)));
             Sequence sequence = model.newSequence(prompt.length + tokens.length)) {
            sequence.forward(Window.chain(prompt, 0), prompt.length - 1);
            Window tree = Window.tree(tokens, parents, prompt.length);
            assertArrayEquals(ints(reference.get("tree_positions")), tree.positions());
            Logits logits = sequence.forward(tree, 0);
            JsonArray expected = reference.getAsJsonArray("logits");
            for (int row = 0; row < tokens.length; row++) {
                float diff = maxAbsDifference(floats(expected.get(row)), logits.row(row));
                assertTrue(diff < TOLERANCE, "tree row " + row + " differs by " + diff);
            }
        }
    }
}
