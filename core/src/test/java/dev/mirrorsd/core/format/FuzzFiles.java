package dev.mirrorsd.core.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A scratch directory for one fuzz class (jqwik has no {@code @TempDir}): each try writes its input
 * to a fresh file and deletes it; {@link #close} removes whatever is left. It lies in memory
 * ({@code /dev/shm}) where the machine has it: on a disk, creating and deleting ten thousand files
 * costs more than parsing them.
 */
public final class FuzzFiles implements AutoCloseable {
    private static final Path IN_MEMORY = Path.of("/dev/shm");

    private final Path dir;

    public FuzzFiles(String prefix) {
        try {
            dir = Files.isDirectory(IN_MEMORY) && Files.isWritable(IN_MEMORY)
                    ? Files.createTempDirectory(IN_MEMORY, prefix) : Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** A new file in the scratch directory holding {@code bytes}. */
    public Path write(String suffix, byte[] bytes) {
        try {
            return Files.write(Files.createTempFile(dir, "input", suffix), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(FuzzFiles::delete);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
