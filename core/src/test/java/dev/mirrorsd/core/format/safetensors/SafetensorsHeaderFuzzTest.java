package dev.mirrorsd.core.format.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.ByteMutation;
import dev.mirrorsd.core.format.FailsCleanly;
import dev.mirrorsd.core.format.FailsCleanly.Outcome;
import dev.mirrorsd.core.format.FuzzFiles;
import dev.mirrorsd.core.format.JsonValues;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes the safetensors header parser: random headers (noise, random JSON, huge lengths) and a
 * valid file's header with members replaced by random JSON, then its bytes corrupted. Opening and
 * reading every tensor either succeed or fail with a ModelFormatException that names the file.
 */
class SafetensorsHeaderFuzzTest {
    private static final List<String> KEYS = List.of("dtype", "shape", "data_offsets", "__metadata__", "a", "b");
    private static final List<String> TENSORS = List.of("a", "b", "c", "__metadata__");
    private static FuzzFiles files;

    @BeforeContainer
    static void createScratch() {
        files = new FuzzFiles("safetensors-fuzz");
    }

    @AfterContainer
    static void removeScratch() {
        files.close();
    }

    /** Tensors of three float widths and one integer type: a (2, 3) F32, b (4) F16, c (2, 2) BF16, i (3) I64. */
    private static SafetensorsWriter seed() {
        return new SafetensorsWriter()
                .f32("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .f16("b", new long[] {4}, new float[] {0.5f, 1, 2, -4})
                .bf16("c", new long[] {2, 2}, new float[] {1, -1, 2, -2})
                .raw("i", "I64", new long[] {3}, new byte[24]);
    }

    @Example
    void seedIsValid() {
        assertEquals(Outcome.ACCEPTED, openAndRead(seed().toBytes()));
    }

    @Property(tries = 10_000)
    void randomHeadersOpenOrFailCleanly(@ForAll("randomFiles") byte[] bytes) {
        Statistics.collect(openAndRead(bytes));
    }

    @Property(tries = 10_000)
    void corruptedHeadersOpenOrFailCleanly(@ForAll("headerEdits") List<Tuple.Tuple2<String, JsonElement>> members,
                                           @ForAll("byteEdits") List<ByteMutation> edits, @ForAll boolean corruptBytes) {
        SafetensorsWriter w = seed();
        JsonObject header = w.header();
        for (Tuple.Tuple2<String, JsonElement> m : members) {
            JsonElement entry = header.get(m.get1());
            int dot = m.get1().indexOf('.');
            if (dot > 0 && header.get(m.get1().substring(0, dot)) instanceof JsonObject tensor) {
                tensor.add(m.get1().substring(dot + 1), m.get2()); // one field of a tensor's entry
            } else if (entry == null || m.get2().isJsonNull()) {
                header.add(m.get1(), m.get2());
            } else {
                header.remove(m.get1());
            }
        }
        byte[] bytes = w.toBytes();
        Statistics.collect(openAndRead(corruptBytes ? ByteMutation.applyAll(bytes, edits) : bytes));
    }

    @Provide
    Arbitrary<byte[]> randomFiles() {
        Arbitrary<byte[]> noise = ByteMutation.noise(200);
        Arbitrary<byte[]> json = JsonValues.any(KEYS, 2).map(j -> j.toString().getBytes(StandardCharsets.UTF_8));
        Arbitrary<Long> length = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.of(-1L, 0L, 1L,
                SafetensorsFile.MAX_HEADER_BYTES, SafetensorsFile.MAX_HEADER_BYTES + 1, Long.MAX_VALUE));
        Arbitrary<byte[]> wrongLength = Combinators.combine(length, Arbitraries.oneOf(noise, json))
                .as((n, body) -> withLength(n, body));
        Arbitrary<byte[]> rightLength = Arbitraries.oneOf(noise, json).map(body -> withLength(body.length, body));
        return Arbitraries.frequencyOf(Tuple.of(1, noise), Tuple.of(1, wrongLength), Tuple.of(4, rightLength));
    }

    @Provide
    Arbitrary<List<Tuple.Tuple2<String, JsonElement>>> headerEdits() {
        Arbitrary<String> path = Arbitraries.oneOf(Arbitraries.of(TENSORS),
                Combinators.combine(Arbitraries.of(TENSORS), Arbitraries.of(KEYS)).as((t, k) -> t + "." + k));
        return Combinators.combine(path, JsonValues.any(KEYS, 1)).as(Tuple::of).list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<ByteMutation>> byteEdits() {
        return ByteMutation.edits(400, 3);
    }

    private static byte[] withLength(long headerLength, byte[] body) {
        return ByteBuffer.allocate(8 + body.length).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).put(body)
                .array();
    }

    private static Outcome openAndRead(byte[] bytes) {
        Path file = files.write(".safetensors", bytes);
        try {
            return FailsCleanly.check(file.toString(), () -> {
                try (SafetensorsFile st = SafetensorsFile.open(file)) {
                    for (String name : st.names()) {
                        st.entry(name).elementCount();
                        if (st.entry(name).dtype().isFloatWeight()) {
                            st.read(name);
                        }
                    }
                }
            });
        } finally {
            FuzzFiles.delete(file);
        }
    }
}
