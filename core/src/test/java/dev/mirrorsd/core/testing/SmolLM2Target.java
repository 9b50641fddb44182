package dev.mirrorsd.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** The default target model file; its absence fails the test that needs it, never skips it. */
public final class SmolLM2Target {
    public static final String FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";

    private SmolLM2Target() {
    }

    public static Path require() {
        String dir = System.getProperty("mirrorsd.models", "");
        Path models = dir.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "mirror-sd") : Path.of(dir);
        Path file = models.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            fail("target model " + file + " is missing: run scripts/fetch-models.sh (or set -Dmirrorsd.models)");
        }
        return file;
    }
}
