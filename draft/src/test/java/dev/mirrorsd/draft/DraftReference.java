package dev.mirrorsd.draft;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.ints;
import static dev.mirrorsd.core.testing.Fixtures.maxAbsDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * models/draft/reference.json (the training tool's own fp32 forward) and the checks every engine
 * that runs the draft must pass against it.
 */
final class DraftReference {
    private static final float TOLERANCE = 1e-3f;

    private DraftReference() {
    }

    static JsonObject load() {
        try {
            return JsonParser.parseString(Files.readString(DraftCheckpointTest.draftDir().resolve("reference.json")))
                    .getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Last-position logits, the argmax at every position, and each multi-token head's argmaxes. */
    static void assertLogitsAndHeads(CausalLM model, int[] toTarget, JsonObject reference) {
        for (JsonElement element : reference.getAsJsonArray("prompts")) {
            JsonObject prompt = element.getAsJsonObject();
            int[] ids = ints(prompt.get("input_ids"));
            try (Sequence sequence = model.newSequence(ids.length);
                 ForwardPass pass = sequence.begin(Window.chain(ids, 0))) {
                pass.runTo(pass.layers());
                Logits logits = pass.logits(0);
                assertEquals(toTarget.length, logits.vocab());
                float diff = maxAbsDifference(floats(prompt.get("last_logits_draft_vocab")), logits.row(ids.length - 1));
                assertTrue(diff < TOLERANCE, "last logits differ by " + diff);
                int[] argmax = ints(prompt.get("argmax_target_ids"));
                for (int row = 0; row < ids.length; row++) {
                    assertEquals(argmax[row], toTarget[logits.argmax(row)], "argmax at position " + row);
                }
                assertEquals(3, pass.multiTokenHeads());
                JsonElement heads = prompt.getAsJsonArray("mtp_argmax_target_ids");
                for (int k = 0; k < 3; k++) {
                    Logits mtp = pass.multiTokenLogits(k, 0);
                    assertEquals(toTarget.length, mtp.vocab());
                    for (int row = 0; row < ids.length; row++) {
                        int expected = heads.getAsJsonArray().get(row).getAsJsonArray().get(k).getAsInt();
                        assertEquals(expected, toTarget[mtp.argmax(row)], "head " + k + " at position " + row);
                    }
                }
            }
        }
    }

    /** The 16-token greedy continuation with the KV cache; the draft's inputs are target ids. */
    static void assertGreedyContinuation(CausalLM model, int[] toTarget, JsonObject reference) {
        for (JsonElement element : reference.getAsJsonArray("prompts")) {
            JsonObject prompt = element.getAsJsonObject();
            int[] ids = ints(prompt.get("input_ids"));
            int[] expected = ints(prompt.get("greedy16_target_ids"));
            int[] actual = new int[expected.length];
            try (Sequence sequence = model.newSequence(ids.length + expected.length)) {
                Logits logits = sequence.forward(Window.chain(ids, 0), ids.length - 1);
                for (int i = 0; i < expected.length; i++) {
                    actual[i] = toTarget[logits.argmax(0)];
                    logits = sequence.forward(Window.chain(new int[] {actual[i]}, sequence.length()), 0);
                }
            }
            assertArrayEquals(expected, actual);
        }
    }
}
