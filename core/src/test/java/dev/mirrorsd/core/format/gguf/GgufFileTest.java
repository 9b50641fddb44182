package dev.mirrorsd.core.format.gguf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileTest {
    @TempDir
    Path dir;

    static Path resource(String name) {
        try {
            return Path.of(GgufFileTest.class.getResource("/fixtures/gguf/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject json(String resource) throws IOException {
        try (InputStream in = GgufFileTest.class.getResourceAsStream(resource)) {
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        }
    }

    private static GgufTestWriter oneTensor() {
        return new GgufTestWriter()
                .kv("general.architecture", "llama")
                .f32("a", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    }

    @Test
    void shouldDequantizeEveryTypeExactlyAsGgufPy() throws IOException {
        JsonObject expected = json("/fixtures/gguf/quant_types.json").getAsJsonObject("tensors");
        try (GgufFile gguf = GgufFile.open(resource("quant_types.gguf"))) {
            assertEquals(expected.size(), gguf.tensors().size());
            for (Map.Entry<String, JsonElement> e : expected.entrySet()) {
                JsonObject t = e.getValue().getAsJsonObject();
                HostTensor actual = gguf.readTensor(e.getKey());
                assertEquals(t.get("type").getAsString(), gguf.tensor(e.getKey()).orElseThrow().type().name());
                long[] shape = t.getAsJsonArray("shape").asList().stream().mapToLong(JsonElement::getAsLong).toArray();
                assertArrayEquals(shape, actual.shape(), e.getKey());
                float[] values = new float[actual.data().length];
                for (int i = 0; i < values.length; i++) {
                    values[i] = t.getAsJsonArray("values").get(i).getAsFloat();
                }
                assertArrayEquals(values, actual.data(), e.getKey());
            }
        }
    }

    @Test
    void shouldTypeMetadataWrittenByGgufPy() throws IOException {
        try (GgufFile gguf = GgufFile.open(resource("quant_types.gguf"))) {
            Map<String, Object> m = gguf.metadata();
            assertEquals(3, gguf.version());
            assertEquals("llama", m.get("general.architecture"));
            assertEquals(200L, m.get("test.u8"));
            assertEquals(-5L, m.get("test.i8"));
            assertEquals(65000L, m.get("test.u16"));
            assertEquals(-30000L, m.get("test.i16"));
            assertEquals(4_000_000_000L, m.get("test.u32"));
            assertEquals(-2_000_000_000L, m.get("test.i32"));
            assertEquals(Long.MIN_VALUE + 5, m.get("test.u64"), "uint64 above Long.MAX_VALUE wraps");
            assertEquals(-(1L << 40), m.get("test.i64"));
            assertEquals((double) 0.1f, m.get("test.f32"));
            assertEquals(0.1, m.get("test.f64"));
            assertEquals(true, m.get("test.bool"));
            assertEquals("héllo ✓", m.get("test.str"));
            assertEquals(List.of("a", "bc", ""), m.get("test.arr_str"));
            assertEquals(List.of(1L, -2L, 3L), m.get("test.arr_int"));
            assertEquals(List.of(0.5, 1.5), m.get("test.arr_float"));
        }
    }

    @Test
    void shouldReadTheSameAcrossChunkBorders() {
        Path path = resource("quant_types.gguf");
        try (GgufFile whole = GgufFile.open(path);
             GgufFile chunked = GgufFile.open(MappedFile.open(path, 256, 40))) {
            assertEquals(whole.metadata(), chunked.metadata());
            for (GgufTensorInfo t : whole.tensors()) {
                assertArrayEquals(whole.readTensor(t.name()).data(), chunked.readTensor(t.name()).data(), t.name());
            }
        }
    }

    @Test
    void shouldReadTensorsLyingPastTwoGigabytes() throws IOException {
        // A sparse file: an unread 2 GiB I8 filler tensor, then a small F32 tensor beyond 2^31.
        long filler = (1L << 31) + 64;
        GgufTestWriter.Out out = new GgufTestWriter.Out();
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.i32(3);
        out.i64(2);
        out.i64(1);
        out.string("general.architecture");
        out.value("llama", true);
        out.string("filler");
        out.i32(1);
        out.i64(filler);
        out.i32(GgmlType.I8.id());
        out.i64(0);
        out.string("tail");
        out.i32(1);
        out.i64(4);
        out.i32(GgmlType.F32.id());
        out.i64(filler);
        out.zeros((32 - out.size() % 32) % 32);
        long dataStart = out.size();
        Path p = dir.resolve("big.gguf");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            raf.write(out.toByteArray());
            raf.setLength(dataStart + filler + 32);
            raf.seek(dataStart + filler);
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            tail.putFloat(1).putFloat(2).putFloat(3).putFloat(4);
            raf.write(tail.array());
        }
        try (GgufFile gguf = GgufFile.open(p)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, gguf.readTensor("tail").data());
        }
    }

    @Test
    void shouldReverseGgufDimsIntoPyTorchOrder() {
        try (GgufFile gguf = GgufFile.open(resource("quant_types.gguf"))) {
            GgufTensorInfo info = gguf.tensor("t_q4_1_3d").orElseThrow();
            assertArrayEquals(new long[] {64, 3, 2}, info.ggufDims());
            assertArrayEquals(new long[] {2, 3, 64}, info.shape());
        }
    }

    @Test
    void shouldHonourGeneralAlignment() {
        Path p = oneTensor().alignment(64).f32("b", new long[] {3}, new float[] {7, 8, 9}).write(dir.resolve("a.gguf"));
        try (GgufFile gguf = GgufFile.open(p)) {
            assertEquals(64, gguf.alignment());
            assertEquals(64, gguf.tensor("b").orElseThrow().dataOffset());
            assertArrayEquals(new float[] {7, 8, 9}, gguf.readTensor("b").data());
            assertArrayEquals(new long[] {2, 3}, gguf.readTensor("a").shape());
        }
    }

    @Test
    void shouldExposeTheChatTemplate() {
        Path p = oneTensor().kv("tokenizer.chat_template", "{{ messages }}").write(dir.resolve("t.gguf"));
        try (GgufFile gguf = GgufFile.open(p)) {
            assertEquals("{{ messages }}", gguf.chatTemplate().orElseThrow());
        }
    }

    @Test
    void shouldRejectMissingFile() {
        Path p = dir.resolve("absent.gguf");
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "no such file");
    }

    @Test
    void shouldRejectBadMagic() {
        Path p = oneTensor().magic("GGML").write(dir.resolve("m.gguf"));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "bad magic");
    }

    @Test
    void shouldRejectEmptyFile() throws IOException {
        Path p = Files.write(dir.resolve("e.gguf"), new byte[0]);
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "bad magic");
    }

    @Test
    void shouldRejectUnsupportedVersion() {
        Path p = oneTensor().version(1).write(dir.resolve("v.gguf"));
        assertMessage(UnsupportedModelException.class, () -> GgufFile.open(p), p.toString(), "version 1");
    }

    @Test
    void shouldRejectTruncatedHeader() throws IOException {
        byte[] full = oneTensor().toBytes();
        Path p = Files.write(dir.resolve("h.gguf"), Arrays.copyOf(full, 14));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "truncated tensor count");
    }

    @Test
    void shouldRejectTruncatedMetadata() throws IOException {
        GgufTestWriter.Out out = new GgufTestWriter.Out();
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.i32(3);
        out.i64(0);
        out.i64(1);
        out.string("k");
        out.value(5L, true);
        byte[] full = out.toByteArray();
        Path p = Files.write(dir.resolve("md.gguf"), Arrays.copyOf(full, full.length - 3));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "truncated", "'k'");
    }

    @Test
    void shouldRejectTensorCountAboveTheTable() {
        Path p = oneTensor().tensorCount(2).write(dir.resolve("c2.gguf"));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString());
    }

    @Test
    void shouldRejectTensorCountBelowTheTable() {
        Path p = oneTensor().f32("b", new long[] {8}, new float[8]).tensorCount(1).write(dir.resolve("c1.gguf"));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "tensor count");
    }

    @Test
    void shouldRejectTensorDataPastTheEnd() throws IOException {
        byte[] full = oneTensor().f32("big", new long[] {64}, new float[64]).toBytes();
        Path p = Files.write(dir.resolve("tr.gguf"), Arrays.copyOf(full, full.length - 100));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "'big'", "past the end");
    }

    @Test
    void shouldRejectTensorSoLargeThatItsEndOverflows() {
        // 2^61 - 1 floats: 2^63 - 4 bytes, whose end past the header no long can hold
        Path p = new GgufTestWriter().raw("vast", new long[] {(1L << 61) - 1}, GgmlType.F32.id(), new byte[0])
                .write(dir.resolve("vast.gguf"));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "'vast'", "past the end");
    }

    @Test
    void shouldRejectUnknownTypeId() {
        Path p = oneTensor().raw("odd", new long[] {4}, 99, new byte[16]).write(dir.resolve("u.gguf"));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "unknown ggml type id 99", "'odd'");
    }

    @Test
    void shouldNameTypeTensorAndSupportedListForUnsupportedTypes() {
        Path p = oneTensor().raw("blk.0.ffn_up.weight", new long[] {1, 256}, GgmlType.Q2_K.id(), new byte[GgmlType.Q2_K.blockBytes()])
                .write(dir.resolve("k.gguf"));
        try (GgufFile gguf = GgufFile.open(p)) {
            assertMessage(UnsupportedModelException.class, () -> gguf.readTensor("blk.0.ffn_up.weight"),
                    p.toString(), "blk.0.ffn_up.weight", "Q2_K", "Q4_1", "Q8_0", "BF16");
        }
    }

    @Test
    void shouldRejectHugeStringLengthWithoutRunningOutOfMemory() throws IOException {
        GgufTestWriter.Out out = new GgufTestWriter.Out();
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.i32(3);
        out.i64(0);
        out.i64(1);
        out.i64(Long.MAX_VALUE / 2); // key length
        out.bytes(new byte[64]);
        Path p = Files.write(dir.resolve("s.gguf"), out.toByteArray());
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "absurd", "length");
    }

    @Test
    void shouldRejectHugeArrayLengthWithoutRunningOutOfMemory() throws IOException {
        GgufTestWriter.Out out = new GgufTestWriter.Out();
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.i32(3);
        out.i64(0);
        out.i64(1);
        out.string("tokenizer.ggml.tokens");
        out.i32(9); // array
        out.i32(8); // of strings
        out.i64(1L << 40);
        out.bytes(new byte[64]);
        Path p = Files.write(dir.resolve("arr.gguf"), out.toByteArray());
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "absurd", "tokenizer.ggml.tokens");
    }

    @Test
    void shouldRejectHugeCountsInTheHeader() {
        Path p = oneTensor().tensorCount(-1).write(dir.resolve("n.gguf"));
        assertMessage(ModelFormatException.class, () -> GgufFile.open(p), p.toString(), "absurd tensor count");
    }

    static <T extends Throwable> void assertMessage(Class<T> type, org.junit.jupiter.api.function.Executable run,
                                                    String... parts) {
        T e = assertThrows(type, run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }
}
