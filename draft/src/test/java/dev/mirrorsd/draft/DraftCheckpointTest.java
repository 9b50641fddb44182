package dev.mirrorsd.draft;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The project's draft (models/draft) on the DJL engine against the training tool's PyTorch forward. */
class DraftCheckpointTest {
    private static DraftCheckpoint draft;
    private static DjlCausalLM model;
    private static JsonObject reference;

    static Path draftDir() {
        return Path.of(System.getProperty("mirrorsd.repo", "."), "models", "draft");
    }

    @BeforeAll
    static void load() throws IOException {
        Checkpoint target = Checkpoint.open(SmolLM2Target.require());
        draft = DraftCheckpoint.load(draftDir(), target.weights());
        model = DjlCausalLM.load(draft.weights());
        reference = JsonParser.parseString(Files.readString(draftDir().resolve("reference.json"))).getAsJsonObject();
        target.tokenizer().close();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void shouldMatchTheTrainingToolsLogitsArgmaxesAndMultiTokenHeads() {
        int[] toTarget = draft.draftToTarget();
        for (JsonElement element : reference.getAsJsonArray("prompts")) {
            JsonObject prompt = element.getAsJsonObject();
            int[] ids = ints(prompt.get("input_ids"));
            try (Sequence sequence = model.newSequence(ids.length);
                 ForwardPass pass = sequence.begin(Window.chain(ids, 0))) {
                pass.runTo(pass.layers());
                Logits logits = pass.logits(0);
                assertEquals(8192, logits.vocab());
                float diff = maxAbsDifference(floats(prompt.get("last_logits_draft_vocab")), logits.row(ids.length - 1));
                assertTrue(diff < 1e-3f, "last logits differ by " + diff);
                int[] argmax = ints(prompt.get("argmax_target_ids"));
                for (int row = 0; row < ids.length; row++) {
                    assertEquals(argmax[row], toTarget[logits.argmax(row)], "argmax at position " + row);
                }
                assertEquals(3, pass.multiTokenHeads());
                JsonElement heads = prompt.getAsJsonArray("mtp_argmax_target_ids");
                for (int k = 0; k < 3; k++) {
                    Logits mtp = pass.multiTokenLogits(k, 0);
                    for (int row = 0; row < ids.length; row++) {
                        int expected = heads.getAsJsonArray().get(row).getAsJsonArray().get(k).getAsInt();
                        assertEquals(expected, toTarget[mtp.argmax(row)], "head " + k + " at position " + row);
                    }
                }
            }
        }
    }

    @Test
    void shouldContinueGreedilyAsTheTrainingTool() {
        int[] toTarget = draft.draftToTarget();
        for (JsonElement element : reference.getAsJsonArray("prompts")) {
            JsonObject prompt = element.getAsJsonObject();
            int[] ids = ints(prompt.get("input_ids"));
            int[] expected = ints(prompt.get("greedy16_target_ids"));
            int[] actual = new int[expected.length];
            try (Sequence sequence = model.newSequence(ids.length + expected.length)) {
                Logits logits = sequence.forward(Window.chain(ids, 0), ids.length - 1);
                for (int i = 0; i < expected.length; i++) {
                    actual[i] = toTarget[logits.argmax(0)];
                    // the draft's input is a target id: its embedding is the target's
                    logits = sequence.forward(Window.chain(new int[] {actual[i]}, sequence.length()), 0);
                }
            }
            assertArrayEquals(expected, actual);
        }
    }
}
