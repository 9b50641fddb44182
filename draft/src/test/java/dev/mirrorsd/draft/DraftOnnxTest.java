package dev.mirrorsd.draft;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.engine.DeviceId;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The project's draft (models/draft/draft.onnx) on ONNX Runtime: against the training tool's fixtures and DJL. */
class DraftOnnxTest {
    private static final float TOLERANCE = 1e-3f;

    private static DraftCheckpoint draft;
    private static CausalLM onnx;
    private static JsonObject reference;

    @BeforeAll
    static void load() throws IOException {
        Checkpoint target = Checkpoint.open(SmolLM2Target.require());
        draft = DraftCheckpoint.load(DraftCheckpointTest.draftDir(), target.weights());
        onnx = Engines.load(DraftCheckpoint.source(DraftCheckpointTest.draftDir(), target.weights()), DeviceId.parse("onnxruntime:cpu"), 1);
        reference = DraftReference.load();
        target.tokenizer().close();
    }

    @AfterAll
    static void close() {
        onnx.close();
    }

    @Test
    void shouldReadTheUnifiedSidecar() {
        assertEquals(49152, onnx.config().vocabSize());
        assertEquals(576, onnx.config().hiddenSize());
        assertEquals(2, onnx.config().numLayers());
        assertEquals(9, onnx.config().numHeads());
        assertEquals(3, onnx.config().numKvHeads());
        assertTrue(onnx.config().isEos(2));
        assertEquals("onnxruntime:cpu", onnx.device());
    }

    @Test
    void aGraphThatTakesEmbeddingsRefusesToLoadWithoutThem() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Engines.load(ModelSource.of(DraftCheckpointTest.draftDir()), DeviceId.parse("onnxruntime:cpu"), 1));
        assertTrue(e.getMessage().contains("inputs_embeds") && e.getMessage().contains("embedding"), e.getMessage());
    }

    @Test
    void shouldMatchTheTrainingToolsLogitsArgmaxesAndMultiTokenHeads() {
        DraftReference.assertLogitsAndHeads(onnx, draft.draftToTarget(), reference);
    }

    @Test
    void shouldContinueGreedilyAsTheTrainingTool() {
        DraftReference.assertGreedyContinuation(onnx, draft.draftToTarget(), reference);
    }

    @Test
    void shouldAgreeWithDjlOnATreeWindowAndAfterCompacting() {
        JsonObject prompt = reference.getAsJsonArray("prompts").get(0).getAsJsonObject();
        int[] ids = ints(prompt.get("input_ids"));
        int[] greedy = ints(prompt.get("greedy16_target_ids"));
        // two branches from the cache end: greedy[0] -> greedy[1] -> greedy[2], and greedy[3] -> greedy[4]
        Window tree = Window.tree(new int[] {greedy[0], greedy[1], greedy[2], greedy[3], greedy[4]},
                new int[] {-1, 0, 1, -1, 3}, ids.length);
        try (CausalLM djl = Engines.load(ModelSource.of(draft.weights()), "pytorch:cpu");
             Sequence a = djl.newSequence(ids.length + 8);
             Sequence b = onnx.newSequence(ids.length + 8)) {
            a.forward(Window.chain(ids, 0), ids.length - 1);
            b.forward(Window.chain(ids, 0), ids.length - 1);
            try (ForwardPass pa = a.begin(tree); ForwardPass pb = b.begin(tree)) {
                pa.runTo(pa.layers());
                pb.runTo(pb.layers());
                assertClose(pa.logits(0), pb.logits(0), "tree logits");
                for (int k = 0; k < 3; k++) {
                    assertClose(pa.multiTokenLogits(k, 1), pb.multiTokenLogits(k, 1), "tree head " + k);
                }
            }
            // keep the first branch, then one decode step on both caches
            a.compact(ids.length, new int[] {0, 1, 2});
            b.compact(ids.length, new int[] {0, 1, 2});
            assertEquals(a.length(), b.length());
            Window next = Window.chain(new int[] {greedy[3]}, a.length());
            assertClose(a.forward(next, 0), b.forward(next, 0), "decode after compacting");
        }
    }

    private static void assertClose(Logits expected, Logits actual, String what) {
        assertEquals(expected.rows(), actual.rows(), what + " rows");
        assertEquals(expected.vocab(), actual.vocab(), what + " width");
        float diff = maxAbsDifference(expected.values(), actual.values());
        assertTrue(diff < TOLERANCE, what + ": DJL and ONNX differ by " + diff);
        for (int row = 0; row < expected.rows(); row++) {
            assertEquals(expected.argmax(row), actual.argmax(row), what + " argmax at row " + row);
        }
    }
}
