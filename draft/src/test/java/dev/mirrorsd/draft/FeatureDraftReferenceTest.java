package dev.mirrorsd.draft;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The project's feature draft run from Java against the reference its training tool wrote with
 * PyTorch (reference.json beside the weights): the first drafted round after each prompt, fed the
 * default target's layer features as the runtime feeds them. The draft-vocabulary logits of the
 * first step must agree to within the two runtimes' differences in the target's features, and the
 * chained tokens exactly. Reads {@code models/feature-draft} (or {@code -Dmirrorsd.featureDraft}).
 */
class FeatureDraftReferenceTest {

    @Test
    void shouldDraftWhatThePyTorchReferenceDrafts() throws IOException {
        Path dir = Path.of(System.getProperty("mirrorsd.featureDraft",
                Path.of(System.getProperty("mirrorsd.repo", ".."), "models", "feature-draft").toString()));
        JsonObject reference = JsonParser.parseString(Files.readString(dir.resolve("reference.json"))).getAsJsonObject();
        Checkpoint checkpoint = Checkpoint.open(SmolLM2Target.require());
        FeatureDraft draft = FeatureDraft.load(dir, checkpoint.weights(), FeatureDraft.Precision.FLOAT32);
        int layer = draft.featureLayers()[draft.featureLayers().length - 1];
        int hidden = checkpoint.config().hiddenSize();
        try (CausalLM target = Engines.load(ModelSource.of(checkpoint.source(), checkpoint::weights, null),
                "pytorch:cpu")) {
            for (var element : reference.getAsJsonArray("prompts")) {
                JsonObject prompt = element.getAsJsonObject();
                int[] ids = ints(prompt.getAsJsonArray("prompt_ids"));
                int[] continuation = ints(prompt.getAsJsonArray("continuation"));
                int[] expectedTokens = ints(prompt.getAsJsonArray("top1_id"));
                float[] features = new float[ids.length * draft.featureWidth()];
                try (Sequence sequence = target.newSequence(ids.length);
                     ForwardPass pass = sequence.begin(Window.chain(ids, 0))) {
                    float[] one = new float[ids.length * hidden];
                    int[] layers = draft.featureLayers();
                    for (int l = 0; l < layers.length; l++) {
                        pass.runTo(layers[l]);
                        pass.hiddenStates(0, one);
                        for (int r = 0; r < ids.length; r++) {
                            System.arraycopy(one, r * hidden, features, r * draft.featureWidth() + l * hidden, hidden);
                        }
                    }
                }
                FeatureCursor cursor = new FeatureCursor(draft, ids.length + 16);
                int[] rows = new int[ids.length];
                Arrays.setAll(rows, i -> i);
                cursor.accept(0, features, draft.featureWidth(), rows);
                int[] context = Arrays.copyOf(ids, ids.length + 1);
                context[ids.length] = continuation[0];
                cursor.catchUp(context, context.length, true);
                if (prompt.has("step1_logits")) {
                    float[] expected = floats(prompt.getAsJsonArray("step1_logits"));
                    float[] actual = cursor.logits().values();
                    double worst = 0;
                    for (int i = 0; i < expected.length; i++) {
                        worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                    }
                    assertEquals(0, worst, 0.05, "step 1's logits after layer " + layer + " features, prompt "
                            + prompt.get("user"));
                }
                SamplingConfig greedy = SamplingConfig.greedy();
                TargetDistribution distribution = new TargetDistribution(draft.draftToTarget(),
                        draft.targetVocab(), greedy);
                DraftProposal chain = cursor.chain(expectedTokens.length, distribution, greedy,
                        TokenSampler.over(new SplittableRandom(1)), context, context.length);
                int[] drafted = new int[chain.size()];
                Arrays.setAll(drafted, chain::token);
                assertArrayEquals(expectedTokens, drafted, "drafted chain, prompt " + prompt.get("user"));
            }
        }
    }

    private static int[] ints(JsonArray array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsInt();
        }
        return out;
    }

    private static float[] floats(JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsFloat();
        }
        return out;
    }
}
