package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AotiManifestTest {

    @TempDir
    Path dir;

    /** What export_aoti.py writes for a 3-layer target split after layer 1. */
    static String targetManifest(String stages) {
        return """
                {"format": "mirror-sd-aoti/1", "device": "cuda", "dtype": "float32", "max_window": 16,
                 "max_context": 256, "masked_value": -1e9, "logits_width": 256, "architecture": "LlamaForCausalLM",
                 "vocab": 256, "hidden_size": 64, "intermediate_size": 128, "num_layers": 3, "num_heads": 4,
                 "kv_heads": 2, "head_dim": 16, "max_positions": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                 "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_ids": [2],
                 "stages": %s,
                 "heads": [{"graph": "exit_head", "library": "exit_head/e.so", "kind": "exit"}], "exit_layer": 1}
                """.formatted(stages);
    }

    static final String SPLIT = """
            [{"graph": "prefix", "library": "prefix/p.so", "first_layer": 0, "end_layer": 1, "input": "tokens", "outputs": ["hidden"]},
             {"graph": "suffix", "library": "suffix/s.so", "first_layer": 1, "end_layer": 3, "input": "hidden", "outputs": ["logits"]}]""";

    private AotiManifest write(String json) throws IOException {
        Files.writeString(dir.resolve(AotiManifest.FILE_NAME), json);
        return AotiManifest.read(dir);
    }

    @Test
    void shouldReadASplitTargetWithItsExitHead() throws IOException {
        AotiManifest m = write(targetManifest(SPLIT));
        assertEquals(3, m.config().numLayers());
        assertEquals(2, m.config().numKvHeads());
        assertEquals("cuda", m.deviceKind());
        assertEquals(List.of(1, 3), m.stopLayers());
        assertEquals(List.of(1), m.exitLayers());
        assertEquals("exit_head/e.so", m.exitHead());
        assertNull(m.mtpHead());
        assertTrue(m.stages().get(0).takesTokens());
        assertFalse(m.stages().get(1).takesTokens());
        assertEquals(4, m.elementBytes());
        assertFalse(m.synthetic());
    }

    @Test
    void shouldReadTheDraftWithMultiTokenHeads() throws IOException {
        String json = targetManifest("""
                [{"graph": "layers", "library": "layers/l.so", "first_layer": 0, "end_layer": 3, "input": "tokens",
                  "outputs": ["hidden", "logits"]}]""")
                .replace("\"logits_width\": 256", "\"logits_width\": 64, \"mtp_heads\": 3")
                .replace("\"graph\": \"exit_head\", \"library\": \"exit_head/e.so\", \"kind\": \"exit\"",
                        "\"graph\": \"mtp\", \"library\": \"mtp/m.so\", \"kind\": \"mtp\"");
        AotiManifest m = write(json);
        assertEquals(64, m.logitsWidth());
        assertEquals(3, m.mtpHeads());
        assertEquals("mtp/m.so", m.mtpHead());
        assertEquals(List.of(), m.exitLayers());
    }

    @Test
    void shouldRefuseStagesThatLeaveAGap() {
        String gap = SPLIT.replace("\"first_layer\": 1", "\"first_layer\": 2");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> write(targetManifest(gap)));
        assertTrue(e.getMessage().contains("starting at 1"), e.getMessage());
    }

    @Test
    void shouldRefuseALastStageWithoutLogits() {
        String noLogits = SPLIT.replace("\"outputs\": [\"logits\"]", "\"outputs\": [\"hidden\"]");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> write(targetManifest(noLogits)));
        assertTrue(e.getMessage().contains("outputs no logits"), e.getMessage());
    }

    @Test
    void shouldRefuseStagesThatStopShortOfTheLastLayer() {
        String shortStages = SPLIT.replace("\"end_layer\": 3", "\"end_layer\": 2");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> write(targetManifest(shortStages)));
        assertTrue(e.getMessage().contains("the model has 3"), e.getMessage());
    }

    @Test
    void shouldRefuseAnotherFormatAndNameTheTool() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> write(targetManifest(SPLIT).replace("mirror-sd-aoti/1", "mirror-sd-onnx/1")));
        assertTrue(e.getMessage().contains("export_aoti.py"), e.getMessage());
    }

    @Test
    void shouldNameTheExportToolWhenTheManifestIsMissing() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> AotiManifest.read(dir));
        assertTrue(e.getMessage().contains("tools/gpu/export_aoti.py"), e.getMessage());
    }

    @Test
    void shouldRefuseAnUnknownDtype() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> write(targetManifest(SPLIT).replace("\"float32\"", "\"int8\"")));
        assertTrue(e.getMessage().contains("dtype"), e.getMessage());
    }
}
