package dev.mirrorsd.core;

import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a user sees when the path handed to {@link Checkpoint#open} is not a model: one clear error naming it. */
class CheckpointBadInputTest {
    @TempDir
    Path dir;

    private static void assertRejected(Path path, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.open(path));
        assertTrue(e.getMessage().contains(path.getFileName().toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
    }

    @Test
    void shouldNameAMissingPath() {
        assertRejected(dir.resolve("no-such-model.gguf"), "model not found");
    }

    @Test
    void shouldNameADirectoryWithoutConfigJson() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty-model"));
        assertRejected(empty, "no config.json");
    }

    @Test
    void shouldRefuseAFileThatIsNeitherGgufNorADirectory() throws IOException {
        Path text = Files.writeString(dir.resolve("model.bin"), "PK\u0003\u0004 not a model");
        assertRejected(text, "neither a GGUF file", "Hugging Face checkpoint directory");
    }

    @Test
    void shouldRefuseAnEmptyFile() throws IOException {
        assertRejected(Files.write(dir.resolve("empty.gguf"), new byte[0]), "neither a GGUF file");
    }

    /** The real target cut inside its magic, its header, its tokenizer metadata and its tensor data. */
    @Test
    void shouldNameATruncatedGgufWhereverItIsCut() throws IOException {
        Path target = SmolLM2Target.require();
        for (int bytes : new int[] {3, 24, 4_000, 1_000_000, 6_000_000}) {
            Path cut = dir.resolve("smollm2-first-" + bytes + ".gguf");
            try (InputStream in = Files.newInputStream(target)) {
                Files.write(cut, in.readNBytes(bytes));
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.open(cut));
            assertTrue(e.getMessage().contains(cut.getFileName().toString()), e.getMessage());
            assertTrue(bytes < 4 ? e.getMessage().contains("neither a GGUF file") : e.getMessage().contains("truncated"),
                    bytes + " bytes: " + e.getMessage());
            Files.delete(cut);
        }
    }
}
