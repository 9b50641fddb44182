package dev.mirrorsd.core.format.safetensors;

import dev.mirrorsd.core.weights.Float16;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    private static final float[] VALUES = {0f, 1f, -2f, 0.5f, 3.25f, -1024f};
    private static final long[] SHAPE = {2, 3};

    @TempDir
    Path dir;

    @Test
    void shouldRoundTripFp32() throws IOException {
        Path f = new SafetensorsWriter().f32("w", SHAPE, new float[] {1.1f, -2.2f, 3.3e-8f, 4e30f, 0f, -0f})
                .write(dir.resolve("a.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            HostTensor t = st.read("w");
            assertArrayEquals(SHAPE, t.shape());
            assertArrayEquals(new float[] {1.1f, -2.2f, 3.3e-8f, 4e30f, 0f, -0f}, t.data());
            assertEquals(List.of("w"), List.copyOf(st.names()));
        }
    }

    @Test
    void shouldWidenFp16AndBf16() throws IOException {
        Path f = new SafetensorsWriter().f16("h", SHAPE, VALUES).bf16("b", SHAPE, VALUES).f32("s", new long[0], new float[] {7f})
                .write(dir.resolve("a.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertArrayEquals(VALUES, st.read("h").data());
            assertArrayEquals(VALUES, st.read("b").data());
            assertArrayEquals(new float[] {7f}, st.read("s").data());
            assertEquals(SafetensorsDtype.F16, st.entry("h").dtype());
        }
    }

    @Test
    void shouldWidenHalfSpecialValuesExactly() {
        assertEquals(1f, Float16.halfToFloat((short) 0x3c00));
        assertEquals(-2f, Float16.halfToFloat((short) 0xc000));
        assertEquals(65504f, Float16.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-14f, Float16.halfToFloat((short) 0x0400));
        assertEquals(0x1p-24f, Float16.halfToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(0x3ffp-24f, Float16.halfToFloat((short) 0x03ff), "largest subnormal");
        assertEquals(Float.POSITIVE_INFINITY, Float16.halfToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.halfToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(Float16.halfToFloat((short) 0x7e00)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Float16.halfToFloat((short) 0x8000)));
        assertEquals(0.333251953125f, Float16.halfToFloat((short) 0x3555));
        assertEquals(1f, Float16.bfloat16ToFloat((short) 0x3f80));
        assertEquals(-0.5f, Float16.bfloat16ToFloat((short) 0xbf00));
    }

    @Test
    void shouldRoundTripEveryNormalHalf() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int exponent = (bits >>> 10) & 0x1f;
            if (exponent == 0 || exponent == 0x1f) {
                continue;
            }
            float f = Float16.halfToFloat((short) bits);
            assertEquals((short) bits, SafetensorsWriter.floatToHalfExact(f), "bits " + Integer.toHexString(bits));
        }
    }

    @Test
    void shouldRejectTruncatedHeader() throws IOException {
        byte[] bytes = new SafetensorsWriter().f32("w", SHAPE, VALUES).toBytes();
        Path f = dir.resolve("cut.safetensors");
        Files.write(f, Arrays.copyOf(bytes, 20));
        assertMessage(f, "truncated");
        Files.write(f, Arrays.copyOf(bytes, 5));
        assertMessage(f, "too short");
    }

    @Test
    void shouldRejectHugeHeaderLength() throws IOException {
        byte[] bytes = new SafetensorsWriter().f32("w", SHAPE, VALUES).toBytes();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 200L * 1024 * 1024);
        Path f = dir.resolve("huge.safetensors");
        Files.write(f, bytes);
        assertMessage(f, "limit");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        Files.write(f, bytes);
        assertMessage(f, "18446744073709551615");
    }

    @Test
    void shouldRejectNonJsonHeader() throws IOException {
        byte[] json = "{not json".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, b.array());
        assertMessage(f, "not valid JSON");
    }

    @Test
    void shouldRejectOffsetsOutOfRange() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().f32("w", SHAPE, VALUES);
        setOffsets(w, "w", 0, 48);
        assertMessage(w.write(dir.resolve("o.safetensors")), "tensor 'w': data_offsets [0, 48] out of range");
    }

    @Test
    void shouldRejectOffsetsThatDisagreeWithShape() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().f32("w", SHAPE, VALUES);
        setOffsets(w, "w", 0, 20);
        assertMessage(w.write(dir.resolve("o.safetensors")), "needs 24");
    }

    @Test
    void shouldRejectOverlappingTensors() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().f32("a", SHAPE, VALUES).f32("b", SHAPE, VALUES);
        setOffsets(w, "b", 8, 32);
        assertMessage(w.write(dir.resolve("o.safetensors")), "overlaps tensor 'a'");
    }

    @Test
    void shouldRejectNegativeDimensionAndUnknownDtype() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().f32("w", SHAPE, VALUES);
        JsonArray shape = new JsonArray();
        shape.add(-2);
        shape.add(-3);
        w.header().getAsJsonObject("w").add("shape", shape);
        assertMessage(w.write(dir.resolve("n.safetensors")), "tensor 'w': negative dimension");

        SafetensorsWriter u = new SafetensorsWriter().f32("w", SHAPE, VALUES);
        u.header().getAsJsonObject("w").addProperty("dtype", "F12");
        assertMessage(u.write(dir.resolve("u.safetensors")), "unknown dtype 'F12'");
    }

    @Test
    void shouldRefuseToReadIntegerTensorsAsWeights() throws IOException {
        Path f = new SafetensorsWriter().raw("ids", "I64", new long[] {2}, new byte[16]).write(dir.resolve("i.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> st.read("ids"));
            assertTrue(e.getMessage().contains("I64"), e.getMessage());
        }
    }

    @Test
    void shouldNameFileAndTensorWhenTensorIsMissing() throws IOException {
        Path f = new SafetensorsWriter().f32("w", SHAPE, VALUES).write(dir.resolve("m.safetensors"));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> st.read("nope"));
            assertTrue(e.getMessage().contains("m.safetensors") && e.getMessage().contains("'nope'"), e.getMessage());
        }
    }

    private static void setOffsets(SafetensorsWriter w, String name, long begin, long end) {
        JsonArray offsets = new JsonArray();
        offsets.add(begin);
        offsets.add(end);
        JsonObject entry = w.header().getAsJsonObject(name);
        entry.add("data_offsets", offsets);
    }

    private static void assertMessage(Path f, String fragment) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
    }
}
