package dev.mirrorsd.core.format.safetensors;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes small safetensors files for tests; {@link #header()} may be edited to corrupt them. */
public final class SafetensorsWriter {
    private final JsonObject header = new JsonObject();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final Map<String, float[]> values = new LinkedHashMap<>();

    public SafetensorsWriter() {
        JsonObject metadata = new JsonObject();
        metadata.addProperty("format", "pt");
        header.add("__metadata__", metadata);
    }

    public SafetensorsWriter f32(String name, long[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return raw(name, "F32", shape, b.array());
    }

    /** Stores {@code v} as F16; the values must be exactly representable. */
    public SafetensorsWriter f16(String name, long[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort(floatToHalfExact(x));
        }
        return raw(name, "F16", shape, b.array());
    }

    /** Stores {@code v} as BF16 by truncation; exact for values with 8 significant bits. */
    public SafetensorsWriter bf16(String name, long[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        }
        return raw(name, "BF16", shape, b.array());
    }

    public SafetensorsWriter raw(String name, String dtype, long[] shape, byte[] bytes) {
        JsonObject e = new JsonObject();
        e.addProperty("dtype", dtype);
        JsonArray s = new JsonArray();
        for (long d : shape) {
            s.add(d);
        }
        e.add("shape", s);
        JsonArray offsets = new JsonArray();
        offsets.add(data.size());
        offsets.add(data.size() + bytes.length);
        e.add("data_offsets", offsets);
        header.add(name, e);
        data.writeBytes(bytes);
        return this;
    }

    public JsonObject header() {
        return header;
    }

    public byte[] toBytes() {
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded);
        b.put(json);
        for (int i = json.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        b.put(data.toByteArray());
        return b.array();
    }

    public Path write(Path file) throws IOException {
        Files.write(file, toBytes());
        return file;
    }

    /** Exact binary16 encoding of a normal, zero or infinite value; fails on anything that would round. */
    static short floatToHalfExact(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = (bits >>> 16) & 0x8000;
        if (Float.isInfinite(x)) {
            return (short) (sign | 0x7c00);
        }
        if (x == 0) {
            return (short) sign;
        }
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = bits & 0x7fffff;
        if (exponent <= 0 || exponent >= 31 || (mantissa & 0x1fff) != 0) {
            throw new IllegalArgumentException(x + " is not an exact normal half");
        }
        return (short) (sign | (exponent << 10) | (mantissa >>> 13));
    }
}
