package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.format.ByteMutation;
import dev.mirrorsd.core.format.FailsCleanly;
import dev.mirrorsd.core.format.FailsCleanly.Outcome;
import dev.mirrorsd.core.format.FuzzFiles;
import dev.mirrorsd.core.weights.ModelWeights;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes the GGUF reader: random bytes, and valid files corrupted by bit flips, cuts, inserted bytes
 * and huge length fields. Whatever the input, opening, reading the metadata, reading every tensor,
 * loading the checkpoint and building its tokenizer either succeed or fail with a
 * ModelFormatException that names the file.
 */
class GgufFileFuzzTest {
    private static final byte[] TINY_LLAMA = GgufFuzzSeeds.tinyLlama();
    private static final byte[] EVERY_TYPE = GgufFuzzSeeds.everyType();
    private static FuzzFiles files;

    @BeforeContainer
    static void createScratch() {
        files = new FuzzFiles("gguf-fuzz");
    }

    @AfterContainer
    static void removeScratch() {
        files.close();
    }

    @Example
    void seedsAreValid() {
        assertEquals(Outcome.ACCEPTED, loadEverything(TINY_LLAMA));
        assertEquals(Outcome.ACCEPTED, loadEverything(EVERY_TYPE.clone()) == Outcome.REJECTED
                ? Outcome.ACCEPTED : Outcome.REJECTED, "the Q2_K tensor must be refused");
    }

    @Property(tries = 10_000)
    void randomBytesOpenOrFailCleanly(@ForAll("randomFiles") byte[] bytes) {
        Statistics.collect(loadEverything(bytes));
    }

    @Property(tries = 10_000)
    void corruptedFilesLoadOrFailCleanly(@ForAll("seeds") byte[] seed, @ForAll("edits") List<ByteMutation> edits) {
        Statistics.collect(loadEverything(ByteMutation.applyAll(seed, edits)));
    }

    @Provide
    Arbitrary<byte[]> randomFiles() {
        Arbitrary<byte[]> noise = ByteMutation.noise(300);
        Arbitrary<byte[]> ggufNoise = Arbitraries.integers().between(0, 4).flatMap(version ->
                noise.map(tail -> ByteBuffer.allocate(8 + tail.length).order(ByteOrder.LITTLE_ENDIAN)
                        .put("GGUF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(version)
                        .put(tail).array()));
        return Arbitraries.frequencyOf(Tuple.of(1, noise), Tuple.of(4, ggufNoise));
    }

    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.of(TINY_LLAMA, EVERY_TYPE);
    }

    @Provide
    Arbitrary<List<ByteMutation>> edits() {
        return ByteMutation.edits(1024, 4);
    }

    /** Opens {@code bytes} as a GGUF file and reads all of it, as {@code Checkpoint.open} would. */
    private static Outcome loadEverything(byte[] bytes) {
        Path file = files.write(".gguf", bytes);
        try {
            String name = file.toString();
            Outcome read = FailsCleanly.check(name, () -> readEveryTensor(file));
            // a file that does not open fails the checkpoint loader the same way
            return read == Outcome.ACCEPTED ? FailsCleanly.check(name, () -> requireEveryTensor(file)) : read;
        } finally {
            FuzzFiles.delete(file);
        }
    }

    /** The checkpoint loader reads tensors when asked: ask for each. */
    private static void requireEveryTensor(Path file) {
        ModelWeights weights = GgufCheckpoint.load(file);
        for (String name : List.copyOf(weights.names())) {
            weights.require(name);
        }
    }

    private static void readEveryTensor(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            Map<String, Object> metadata = gguf.metadata();
            gguf.chatTemplate();
            for (GgufTensorInfo info : gguf.tensors()) {
                gguf.readTensor(info);
            }
            // the tokenizer's errors name its metadata, not the file
            FailsCleanly.check(null, () -> GgufTokenizerJson.build(metadata));
            FailsCleanly.check(null, () -> GgufTokenizers.open(metadata).close());
        }
    }
}
