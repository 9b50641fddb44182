package dev.mirrorsd.draft;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

/** The project's draft (models/draft) on the DJL engine against the training tool's PyTorch forward. */
class DraftCheckpointTest {
    private static DraftCheckpoint draft;
    private static CausalLM model;
    private static JsonObject reference;
    private static Checkpoint target;

    static Path draftDir() {
        return Path.of(System.getProperty("mirrorsd.repo", "."), "models", "draft");
    }

    @BeforeAll
    static void load() throws IOException {
        target = Checkpoint.open(SmolLM2Target.require());
        draft = DraftCheckpoint.load(draftDir(), target.weights());
        model = Engines.load(ModelSource.of(draft.weights()), "pytorch:cpu");
        reference = DraftReference.load();
        target.tokenizer().close();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void shouldMatchTheTrainingToolsLogitsArgmaxesAndMultiTokenHeads() {
        DraftReference.assertLogitsAndHeads(model, draft.draftToTarget(), reference);
    }

    @Test
    void shouldReadTheVocabularyMapAloneAsTheFullLoadDoes() {
        // what an exported draft (ONNX Runtime, AOTI) loads instead of every weight
        org.junit.jupiter.api.Assertions.assertArrayEquals(draft.draftToTarget(),
                DraftCheckpoint.readDraftToTarget(draftDir(), target.weights()));
    }

    @Test
    void shouldContinueGreedilyAsTheTrainingTool() {
        DraftReference.assertGreedyContinuation(model, draft.draftToTarget(), reference);
    }
}
