package dev.mirrorsd.engine.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny Llama fixture against transformers' reference.json (see tools/export/README.md). */
class OnnxCausalLMTest {

    private static final float TOLERANCE = 1e-4f;

    private static Path fixture;
    private static OnnxCausalLM model;
    private static JsonObject reference;
    private static int[] prompt;
    private static int vocab;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        fixture = Path.of(OnnxCausalLMTest.class.getResource("/fixtures/onnx-tiny-llama").toURI());
        model = OnnxCausalLM.load(fixture, OnnxOptions.cpu(1));
        reference = JsonParser.parseString(Files.readString(fixture.resolve("reference.json"))).getAsJsonObject();
        prompt = ints(reference.getAsJsonArray("input_ids"));
        vocab = model.config().vocabSize();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void shouldReadTheConfigFromTheSidecar() {
        ModelConfig config = model.config();
        assertEquals(256, config.vocabSize());
        assertEquals(2, config.numLayers());
        assertEquals(4, config.numHeads());
        assertEquals(2, config.numKvHeads());
        assertEquals(16, config.headDim());
        assertEquals(64, config.hiddenSize());
        assertTrue(config.isEos(2));
        assertEquals("onnxruntime:cpu", model.device());
    }

    @Test
    void promptAsOneWindowMatchesTransformersLogits() {
        try (Sequence seq = model.newSequence(64)) {
            Logits logits = seq.forward(Window.chain(prompt, 0), 0);
            assertEquals(prompt.length, logits.rows());
            assertEquals(prompt.length, seq.length());
            for (int r = 0; r < prompt.length; r++) {
                assertClose(referenceRow("prompt_logits", r), logits.row(r), "prompt row " + r);
            }
        }
    }

    @Test
    void promptTokenByTokenMatchesTransformersLogits() {
        try (Sequence seq = model.newSequence(64)) {
            for (int r = 0; r < prompt.length; r++) {
                Logits logits = seq.forward(Window.chain(new int[] {prompt[r]}, r), 0);
                assertClose(referenceRow("prompt_logits", r), logits.row(0), "decode step " + r);
            }
            assertEquals(prompt.length, seq.length());
        }
    }

    @Test
    void lastRowsOnlyAreReturnedFromFromRow() {
        try (Sequence seq = model.newSequence(64)) {
            Logits logits = seq.forward(Window.chain(prompt, 0), prompt.length - 2);
            assertEquals(2, logits.rows());
            assertClose(referenceRow("prompt_logits", prompt.length - 1), logits.row(1), "last row");
        }
    }

    @Test
    void greedyContinuationIsTokenIdenticalToTransformers() {
        int[] expected = ints(reference.getAsJsonArray("greedy_continuation"));
        int[] got = new int[expected.length];
        try (Sequence seq = model.newSequence(64)) {
            Logits logits = seq.forward(Window.chain(prompt, 0), prompt.length - 1);
            for (int i = 0; i < expected.length; i++) {
                got[i] = logits.argmax(0);
                logits = seq.forward(Window.chain(new int[] {got[i]}, seq.length()), 0);
            }
        }
        assertArrayEquals(expected, got);
    }

    @Test
    void treeWindowRowsMatchTheirAncestorChains() {
        JsonObject tree = reference.getAsJsonObject("tree");
        int[] tokens = ints(tree.getAsJsonArray("tokens"));
        int[] parents = ints(tree.getAsJsonArray("parents"));
        try (Sequence seq = model.newSequence(64)) {
            seq.forward(Window.chain(prompt, 0), prompt.length - 1);
            Logits logits = seq.forward(Window.tree(tokens, parents, prompt.length), 0);
            for (int r = 0; r < tokens.length; r++) {
                float[] expected = floats(tree.getAsJsonArray("logits").get(r).getAsJsonArray());
                assertClose(expected, logits.row(r), "tree row " + r);
            }
            assertEquals(prompt.length + tokens.length, seq.length());
        }
    }

    @Test
    void truncateThenReforwardGivesTheSameLogits() {
        int[] draft = {5, 17, 99, 3};
        try (Sequence seq = model.newSequence(64)) {
            seq.forward(Window.chain(prompt, 0), 0);
            Logits first = seq.forward(Window.chain(draft, prompt.length), 0);
            seq.truncate(prompt.length);
            assertEquals(prompt.length, seq.length());
            Logits again = seq.forward(Window.chain(draft, prompt.length), 0);
            assertClose(first.values(), again.values(), "re-forward after truncate");
        }
    }

    @Test
    void compactKeepsAnAcceptedTreePathSoTheNextTokenMatchesTheChain() {
        JsonObject tree = reference.getAsJsonObject("tree");
        int[] tokens = ints(tree.getAsJsonArray("tokens"));
        int[] parents = ints(tree.getAsJsonArray("parents"));
        int[] path = {0, 1, 4}; // rows on one root-to-leaf path: parents[4] = 1, parents[1] = 0
        int next = 42;
        float[] expected;
        try (Sequence chain = model.newSequence(64)) {
            int[] accepted = Arrays.stream(path).map(r -> tokens[r]).toArray();
            chain.forward(Window.chain(prompt, 0), 0);
            chain.forward(Window.chain(accepted, prompt.length), 0);
            expected = chain.forward(Window.chain(new int[] {next}, chain.length()), 0).row(0);
        }
        try (Sequence seq = model.newSequence(64)) {
            seq.forward(Window.chain(prompt, 0), 0);
            seq.forward(Window.tree(tokens, parents, prompt.length), 0);
            seq.compact(prompt.length, path);
            assertEquals(prompt.length + path.length, seq.length());
            float[] got = seq.forward(Window.chain(new int[] {next}, seq.length()), 0).row(0);
            assertClose(expected, got, "next token after compact");
        }
    }

    @Test
    void aPassClosedBeforeRunningLeavesTheCacheAsItWas() {
        try (Sequence seq = model.newSequence(64)) {
            seq.forward(Window.chain(prompt, 0), 0);
            try (ForwardPass pass = seq.begin(Window.chain(new int[] {7}, prompt.length))) {
                assertEquals(0, pass.layersDone());
            }
            assertEquals(prompt.length, seq.length());
        }
    }

    @Test
    void earlyExitLogitsMatchTransformersThenTheFullPassCompletes() {
        JsonArray exitRows = reference.getAsJsonObject("exit_prompt_logits").getAsJsonArray("1");
        try (Sequence seq = model.newSequence(64); ForwardPass pass = seq.begin(Window.chain(prompt, 0))) {
            pass.runTo(1);
            assertEquals(1, pass.layersDone());
            assertEquals(0, seq.length(), "the cache grows only once the last layer has run");
            Logits proxy = pass.logits(0);
            for (int r = 0; r < prompt.length; r++) {
                assertClose(floats(exitRows.get(r).getAsJsonArray()), proxy.row(r), "exit row " + r);
            }
            pass.runTo(pass.layers());
            assertEquals(prompt.length, seq.length());
            assertClose(referenceRow("prompt_logits", 3), pass.logits(0).row(3), "final row 3");
        }
    }

    @Test
    void aPassClosedAtTheEarlyExitLeavesTheCacheAsItWas() {
        try (Sequence seq = model.newSequence(64)) {
            seq.forward(Window.chain(prompt, 0), 0);
            try (ForwardPass pass = seq.begin(Window.chain(new int[] {7, 8}, prompt.length))) {
                pass.runTo(1);
            }
            assertEquals(prompt.length, seq.length());
            float[] next = seq.forward(Window.chain(new int[] {prompt[0]}, prompt.length), 0).row(0);
            try (Sequence fresh = model.newSequence(64)) {
                fresh.forward(Window.chain(prompt, 0), 0);
                assertClose(fresh.forward(Window.chain(new int[] {prompt[0]}, prompt.length), 0).row(0), next, "next");
            }
        }
    }

    @Test
    void aWindowPastTheCapacityIsRefused() {
        try (Sequence seq = model.newSequence(4)) {
            assertThrows(IllegalStateException.class, () -> seq.begin(Window.chain(prompt, 0)));
        }
    }

    @Test
    void thousandsOfStepsRunInOneCacheWithoutGrowth() {
        try (Sequence seq = model.newSequence(16)) {
            seq.forward(Window.chain(prompt, 0), 0);
            float[] first = seq.forward(Window.chain(new int[] {9, 8, 7}, prompt.length), 0).values();
            for (int i = 0; i < 2000; i++) {
                seq.truncate(prompt.length);
                float[] again = seq.forward(Window.chain(new int[] {9, 8, 7}, prompt.length), 0).values();
                if (i % 500 == 0) {
                    assertClose(first, again, "step " + i);
                }
            }
        }
    }

    private static float[] referenceRow(String key, int row) {
        return floats(reference.getAsJsonArray(key).get(row).getAsJsonArray());
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst < TOLERANCE, what + ": max abs diff " + worst);
    }

    private static int[] ints(JsonArray a) {
        return a.asList().stream().mapToInt(e -> e.getAsInt()).toArray();
    }

    private static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }
}
