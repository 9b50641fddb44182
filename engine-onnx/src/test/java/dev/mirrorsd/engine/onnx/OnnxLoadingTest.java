package dev.mirrorsd.engine.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtEnvironment;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxLoadingTest {

    private static Path fixture() throws URISyntaxException {
        return Path.of(OnnxLoadingTest.class.getResource("/fixtures/onnx-tiny-llama").toURI());
    }

    @Test
    void anUnavailableProviderGivesAnErrorListingTheAvailableOnes() throws URISyntaxException {
        Optional<OnnxProvider> missing = Arrays.stream(OnnxProvider.values())
                .filter(p -> !OrtEnvironment.getAvailableProviders().contains(p.ortProvider()))
                .findFirst();
        assumeTrue(missing.isPresent(), "every provider is installed here");
        OnnxProviderUnavailableException e = assertThrows(OnnxProviderUnavailableException.class,
                () -> OnnxCausalLM.load(fixture(), OnnxOptions.of(missing.get())));
        assertTrue(e.getMessage().contains(missing.get().name()), e.getMessage());
        assertTrue(e.getMessage().contains("available: [") && e.getMessage().contains("CPU"), e.getMessage());
    }

    @Test
    void aMissingModelFileGivesAnErrorNamingThePath(@TempDir Path dir) {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxCausalLM.load(dir, OnnxOptions.cpu(1)));
        assertTrue(e.getMessage().contains(dir.resolve("model.onnx").toAbsolutePath().toString()), e.getMessage());
    }

    @Test
    void aMissingSidecarGivesAnErrorNamingThePath(@TempDir Path dir) throws IOException, URISyntaxException {
        Files.copy(fixture().resolve("model.onnx"), dir.resolve("model.onnx"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxCausalLM.load(dir, OnnxOptions.cpu(1)));
        assertTrue(e.getMessage().contains(dir.resolve("mirror-sd-onnx.json").toString()), e.getMessage());
    }

    @Test
    void aLayerWithoutAnExportedExitIsRefusedWithAClearMessage(@TempDir Path dir) throws IOException, URISyntaxException {
        Files.copy(fixture().resolve("model.onnx"), dir.resolve("model.onnx"));
        String sidecar = Files.readString(fixture().resolve("mirror-sd-onnx.json"));
        Files.writeString(dir.resolve("mirror-sd-onnx.json"), sidecar.replaceAll("\"exit_logits\": \\{[^}]*}", "\"exit_logits\": {}"));
        try (OnnxCausalLM lm = OnnxCausalLM.load(dir, OnnxOptions.cpu(1));
             Sequence seq = lm.newSequence(8);
             ForwardPass pass = seq.begin(Window.chain(new int[] {1, 2}, 0))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> pass.runTo(1));
            assertTrue(e.getMessage().contains("--early-exit-layer 1") && e.getMessage().contains("DJL"), e.getMessage());
            pass.runTo(lm.config().numLayers());
            assertEquals(2, seq.length());
        }
    }

    @Test
    void aSidecarOfAnotherFormatIsRefused(@TempDir Path dir) throws IOException, URISyntaxException {
        Files.copy(fixture().resolve("model.onnx"), dir.resolve("model.onnx"));
        String sidecar = Files.readString(fixture().resolve("mirror-sd-onnx.json"));
        Files.writeString(dir.resolve("mirror-sd-onnx.json"), sidecar.replace("\"mirror-sd-onnx/1\"", "\"other/2\""));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxCausalLM.load(dir, OnnxOptions.cpu(1)));
        assertTrue(e.getMessage().contains("mirror-sd-onnx/1"), e.getMessage());
    }

    @Test
    void aGraphTakingEmbeddingsNeedsTheEmbeddingMatrix(@TempDir Path dir) throws IOException, URISyntaxException {
        Files.copy(fixture().resolve("model.onnx"), dir.resolve("model.onnx"));
        String sidecar = Files.readString(fixture().resolve("mirror-sd-onnx.json"));
        Files.writeString(dir.resolve("mirror-sd-onnx.json"),
                sidecar.replace("\"input_ids\": \"input_ids\"", "\"inputs_embeds\": \"inputs_embeds\""));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxCausalLM.load(dir, OnnxOptions.cpu(1)));
        assertTrue(e.getMessage().contains("inputs_embeds") && e.getMessage().contains("(256, 64)"), e.getMessage());
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class,
                () -> OnnxCausalLM.load(dir, OnnxOptions.cpu(1), new float[10]));
        assertTrue(wrongSize.getMessage().contains("(256, 64)"), wrongSize.getMessage());
        // the graph itself takes input_ids: the names check says so
        e = assertThrows(ModelFormatException.class,
                () -> OnnxCausalLM.load(dir, OnnxOptions.cpu(1), new float[256 * 64]));
        assertTrue(e.getMessage().contains("input inputs_embeds") && e.getMessage().contains("[input_ids]"),
                e.getMessage());
    }

    @Test
    void anEmbeddingForAGraphThatTakesIdsIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> OnnxCausalLM.load(fixture(), OnnxOptions.cpu(1), new float[256 * 64]));
    }

    @Test
    void negativeThreadCountsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new OnnxOptions(OnnxProvider.CPU, 0, -1, 1));
    }
}
