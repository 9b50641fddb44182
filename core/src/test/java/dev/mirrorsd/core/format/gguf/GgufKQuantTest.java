package dev.mirrorsd.core.format.gguf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.weights.HostTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static dev.mirrorsd.core.testing.Fixtures.floats;
import static dev.mirrorsd.core.testing.Fixtures.json;
import static dev.mirrorsd.core.testing.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dequantizers of the K-quants, Q5_0/Q5_1 and F16/BF16 against gguf-py's reference widening
 * of the same files (fixtures/kquant, tools/fixtures/make_kquant_fixtures.py). Equal within one
 * part in 10^6 of the row's largest value: gguf-py multiplies the same factors in another order.
 */
class GgufKQuantTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-256.Q4_K.gguf", "tiny-256.Q5_K.gguf", "tiny-256.Q6_K.gguf", "tiny-64.Q5_0.gguf",
            "tiny-64.Q5_1.gguf", "tiny-64.F16.gguf", "tiny-64.BF16.gguf"})
    void shouldWidenEveryBlockFormatAsGgufPyDoes(String file) {
        JsonObject expected = json("kquant/reference.json").getAsJsonObject("files").getAsJsonObject(file);
        try (GgufFile gguf = GgufFile.open(path("kquant/" + file))) {
            assertEquals(expected.get("type").getAsString(),
                    gguf.tensor("blk.0.attn_q.weight").orElseThrow().type().name(), "the file's matrices' type");
            for (Map.Entry<String, JsonElement> tensor : expected.getAsJsonObject("rows").entrySet()) {
                HostTensor t = gguf.readTensor(tensor.getKey());
                int cols = (int) t.dim(1);
                JsonArray rows = tensor.getValue().getAsJsonArray();
                for (int r = 0; r < rows.size(); r++) {
                    float[] row = floats(rows.get(r));
                    float scale = 0;
                    for (float v : row) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                    for (int c = 0; c < cols; c++) {
                        float actual = t.data()[r * cols + c];
                        assertTrue(Math.abs(actual - row[c]) <= 1e-6f * scale,
                                file + " " + tensor.getKey() + "[" + r + ", " + c + "] = " + actual + ", gguf-py " + row[c]);
                    }
                }
            }
        }
    }
}
