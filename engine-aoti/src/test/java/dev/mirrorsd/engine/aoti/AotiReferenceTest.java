package dev.mirrorsd.engine.aoti;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.hf.HfCheckpoint;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.ReferenceHead;
import dev.mirrorsd.core.weights.ModelWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.json;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static dev.mirrorsd.core.testing.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AOTI engine end to end against the transformers fixtures, where PyTorch is installed:
 * {@code MIRRORSD_AOTI_TINY_LLAMA} and {@code MIRRORSD_AOTI_TINY_QWEN2} name the folders that
 * {@code tools/gpu/export_aoti.py --target core/src/test/resources/fixtures/tiny-llama DIR
 * --exit-layer 1 --device cpu --max-window 16 --max-context 256} (and the same for tiny-qwen2, whose
 * q/k/v biases the export carries) wrote. {@code MIRRORSD_AOTI_DEVICE} picks the device (default cpu; the export's --device
 * must agree). It needs a PyTorch install, so it is tagged {@code torch}: the README's test command
 * leaves it out, and {@code tools/gpu/cpu-check.sh} (which CI runs after it) installs PyTorch in a
 * venv, exports both fixtures and runs it; it fails when an export is missing.
 */
@Tag("torch")
class AotiReferenceTest {
    private static final float TOLERANCE = 1e-3f;

    private static Path exported(String fixture) {
        String variable = "MIRRORSD_AOTI_" + fixture.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        String dir = System.getenv(variable);
        assertTrue(dir != null && Files.isDirectory(Path.of(dir)),
                variable + " must name the export of fixtures/" + fixture + " (see the class comment)");
        return Path.of(dir);
    }

    private static AotiDevice device() {
        String d = System.getenv("MIRRORSD_AOTI_DEVICE");
        return d == null ? AotiDevice.cpu() : AotiDevice.parse(d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2"})
    void shouldMatchTransformersLogitsEarlyExitAndGreedy(String fixture) {
        JsonObject reference = json(fixture + "/reference.json");
        int[] prompt = ints(reference.get("input_ids"));
        try (AotiCausalLM model = AotiCausalLM.load(exported(fixture), device());
             Sequence sequence = model.newSequence(prompt.length + 64)) {
            JsonArray expected = reference.getAsJsonArray("logits");
            Logits last;
            try (ForwardPass pass = sequence.begin(Window.chain(prompt, 0))) {
                pass.runTo(1);
                JsonArray exit = reference.getAsJsonObject("early_exit").getAsJsonArray("1");
                float[] exitLast = exit.get(0).isJsonArray() ? floats(exit.get(exit.size() - 1)) : floats(exit);
                float exitDiff = maxAbsDifference(exitLast, pass.logits(prompt.length - 1).row(0));
                assertTrue(exitDiff < TOLERANCE, "early exit at layer 1 differs by " + exitDiff);
                assertEquals(0, sequence.length(), "the cache grows only once every layer has run");
                pass.runTo(pass.layers());
                Logits logits = pass.logits(0);
                for (int row = 0; row < prompt.length; row++) {
                    float diff = maxAbsDifference(floats(expected.get(row)), logits.row(row));
                    assertTrue(diff < TOLERANCE, "logits of position " + row + " differ by " + diff);
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
            assertArrayEquals(greedy, actual, "greedy continuation");
        }
    }

    /**
     * At the exit layer the hidden states are the residual stream the exit head reads: the final
     * norm and LM head applied to them in plain Java give its logits. A feature draft reads them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2"})
    void shouldGiveTheResidualStreamAtTheExitLayer(String fixture) {
        ModelWeights weights = HfCheckpoint.load(path(fixture));
        ModelConfig c = weights.config();
        int[] prompt = ints(json(fixture + "/reference.json").get("input_ids"));
        int rows = 3;
        float[] hidden = new float[rows * c.hiddenSize()];
        try (AotiCausalLM model = AotiCausalLM.load(exported(fixture), device());
             Sequence sequence = model.newSequence(prompt.length + 8);
             ForwardPass pass = sequence.begin(Window.chain(prompt, 0))) {
            pass.runTo(1);
            assertEquals(hidden.length, pass.hiddenStates(prompt.length - rows, hidden));
            Logits exit = pass.logits(prompt.length - rows);
            for (int r = 0; r < rows; r++) {
                float[] row = java.util.Arrays.copyOfRange(hidden, r * c.hiddenSize(), (r + 1) * c.hiddenSize());
                float diff = maxAbsDifference(ReferenceHead.logits(weights, row), exit.row(r));
                assertTrue(diff < TOLERANCE, "row " + r + ": the head over the hidden states differs by " + diff);
            }
        }
    }

    @Test
    void shouldScoreATreeThenKeepOnePathAsIfItHadBeenAChain() {
        JsonObject reference = json("tiny-llama/tree_reference.json");
        int[] prompt = ints(reference.get("input_ids"));
        int[] tokens = ints(reference.get("tree_tokens"));
        int[] parents = ints(reference.get("tree_parents"));
        try (AotiCausalLM model = AotiCausalLM.load(exported("tiny-llama"), device());
             Sequence tree = model.newSequence(prompt.length + tokens.length + 2);
             Sequence chain = model.newSequence(prompt.length + tokens.length + 2)) {
            tree.forward(Window.chain(prompt, 0), prompt.length - 1);
            Logits logits = tree.forward(Window.tree(tokens, parents, prompt.length), 0);
            JsonArray expected = reference.getAsJsonArray("logits");
            for (int row = 0; row < tokens.length; row++) {
                float diff = maxAbsDifference(floats(expected.get(row)), logits.row(row));
                assertTrue(diff < TOLERANCE, "tree row " + row + " differs by " + diff);
            }
            // keep the path to the last row, then decode one token: as if that path had been a chain
            int[] path = pathTo(parents, tokens.length - 1);
            tree.compact(prompt.length, path);
            int[] chainTokens = new int[prompt.length + path.length];
            System.arraycopy(prompt, 0, chainTokens, 0, prompt.length);
            for (int i = 0; i < path.length; i++) {
                chainTokens[prompt.length + i] = tokens[path[i]];
            }
            // the export's window limit is 16: the chain goes in two windows
            int half = chainTokens.length / 2;
            chain.forward(Window.chain(java.util.Arrays.copyOf(chainTokens, half), 0), 0);
            chain.forward(Window.chain(java.util.Arrays.copyOfRange(chainTokens, half, chainTokens.length), half), 0);
            assertEquals(chain.length(), tree.length());
            Window next = Window.chain(new int[] {7}, tree.length());
            float diff = maxAbsDifference(chain.forward(next, 0).row(0), tree.forward(next, 0).row(0));
            assertTrue(diff < TOLERANCE, "after compact the next step differs by " + diff);
        }
    }

    private static int[] pathTo(int[] parents, int row) {
        int depth = 0;
        for (int r = row; r >= 0; r = parents[r]) {
            depth++;
        }
        int[] path = new int[depth];
        for (int r = row, i = depth - 1; r >= 0; r = parents[r], i--) {
            path[i] = r;
        }
        return path;
    }
}
