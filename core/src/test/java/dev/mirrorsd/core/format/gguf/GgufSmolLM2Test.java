package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.testing.SmolLM2Target;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real target, SmolLM2-135M-Instruct in Q4_1, against what transformers' GGUF loader builds
 * from the same file (fixtures/smollm2/gguf_target_tensors.json, from
 * tools/fixtures/make_gguf_target_fixture.py). Matching q/k rows across head boundaries proves the
 * un-permutation.
 */
class GgufSmolLM2Test {
    private static ModelWeights weights;
    private static JsonObject expected;

    @BeforeAll
    static void load() throws IOException {
        weights = GgufCheckpoint.load(SmolLM2Target.require());
        expected = GgufFileTest.json("/fixtures/smollm2/gguf_target_tensors.json");
    }

    @Test
    void shouldReadSmolLM2sConfig() {
        ModelConfig c = weights.config();
        JsonObject e = expected.getAsJsonObject("config");
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(30, c.numLayers());
        assertEquals(576, c.hiddenSize());
        assertEquals(9, c.numHeads());
        assertEquals(3, c.numKvHeads());
        assertEquals(64, c.headDim());
        assertEquals(49152, c.vocabSize());
        assertEquals(e.get("intermediate_size").getAsInt(), c.intermediateSize());
        assertEquals(e.get("max_position_embeddings").getAsInt(), c.maxPositions());
        assertEquals(e.get("rms_norm_eps").getAsFloat(), c.rmsNormEps());
        assertEquals(e.get("rope_theta").getAsFloat(), c.ropeTheta());
        assertEquals(e.get("tie_word_embeddings").getAsBoolean(), c.tieWordEmbeddings());
        assertEquals(e.get("bos_token_id").getAsInt(), c.bosTokenId());
        assertArrayEquals(new int[] {e.get("eos_token_id").getAsInt()}, c.eosTokenIds());
        assertTrue(!weights.contains(ModelWeights.LM_HEAD));
        assertEquals(30 * 9 + 2, weights.names().size());
    }

    @Test
    void shouldMatchTransformersGgufLoaderTensorValues() {
        for (Map.Entry<String, JsonElement> entry : expected.getAsJsonObject("tensors").entrySet()) {
            String name = entry.getKey();
            JsonObject t = entry.getValue().getAsJsonObject();
            HostTensor actual = weights.require(name);
            long[] shape = t.getAsJsonArray("shape").asList().stream().mapToLong(JsonElement::getAsLong).toArray();
            assertArrayEquals(shape, actual.shape(), name);
            long cols = actual.rank() == 1 ? 0 : actual.dim(1);
            for (Map.Entry<String, JsonElement> row : t.getAsJsonObject("rows").entrySet()) {
                int r = Integer.parseInt(row.getKey());
                JsonArray values = row.getValue().getAsJsonArray();
                float[] want = new float[values.size()];
                float[] got = new float[values.size()];
                for (int i = 0; i < want.length; i++) {
                    want[i] = values.get(i).getAsFloat();
                    got[i] = actual.data()[(int) (r * cols) + i];
                }
                assertArrayEquals(want, got, 1e-6f, name + " row " + r);
            }
        }
    }
}
