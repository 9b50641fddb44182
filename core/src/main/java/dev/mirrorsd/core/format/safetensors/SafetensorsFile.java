package dev.mirrorsd.core.format.safetensors;

import dev.mirrorsd.core.weights.Float16;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.HostTensor;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming every
 * tensor's dtype, shape and byte range, then the data section. The header is validated in full on
 * {@link #open}; tensors are read on demand through memory maps and widened to fp32.
 *
 * <p>Thread-safety: {@link #read} may be called from several threads at once; {@link #close} must
 * not race with them.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted, as the reference implementation does. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /** Bytes mapped at a time when reading one tensor (a multiple of every dtype's width). */
    private static final long MAP_CHUNK_BYTES = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, SafetensorsEntry> entries;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, SafetensorsEntry> entries) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    /** Opens and validates {@code file}; a {@link ModelFormatException} names the file and what is wrong. */
    public static SafetensorsFile open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot open safetensors file: " + e.getMessage(), e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new ModelFormatException(file + ": " + fileSize + " bytes is too short for a safetensors header");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new ModelFormatException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
            }
            if (8 + headerLength > fileSize) {
                throw new ModelFormatException(file + ": header length " + headerLength + " runs past the end of the "
                        + fileSize + "-byte file (truncated?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            String json = new String(header.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLength;
            Map<String, SafetensorsEntry> entries = parseHeader(file, json, fileSize - dataStart);
            return new SafetensorsFile(file, channel, dataStart, entries);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ModelFormatException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order ({@code __metadata__} excluded). */
    public Set<String> names() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The header's description of a tensor; a {@link ModelFormatException} if absent. */
    public SafetensorsEntry entry(String name) {
        SafetensorsEntry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(path + ": no tensor '" + name + "'");
        }
        return e;
    }

    /** Reads a tensor as fp32; F16 and BF16 are widened exactly. */
    public HostTensor read(String name) {
        SafetensorsEntry e = entry(name);
        if (!e.dtype().isFloatWeight()) {
            throw new UnsupportedModelException(path + ": tensor '" + name + "' has dtype " + e.dtype()
                    + "; only F32, F16 and BF16 are read");
        }
        long count = e.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new UnsupportedModelException(path + ": tensor '" + name + "' has " + count
                    + " elements, more than one Java array holds");
        }
        float[] out = new float[(int) count];
        int width = e.dtype().bytes();
        long done = 0;
        try {
            while (done < e.sizeBytes()) {
                long chunk = Math.min(MAP_CHUNK_BYTES, e.sizeBytes() - done);
                MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.beginBytes() + done, chunk);
                map.order(ByteOrder.LITTLE_ENDIAN);
                widen(e.dtype(), map, out, (int) (done / width), (int) (chunk / width));
                done += chunk;
            }
        } catch (IOException ex) {
            throw new ModelFormatException(path + ": cannot read tensor '" + name + "': " + ex.getMessage(), ex);
        }
        return new HostTensor(e.shape(), out);
    }

    /** Reads a small I64 or I32 tensor (an index map, e.g. a draft-to-target vocabulary) as ints. */
    public int[] readIndices(String name) {
        SafetensorsEntry e = entry(name);
        boolean wide = e.dtype() == SafetensorsDtype.I64;
        if (!wide && e.dtype() != SafetensorsDtype.I32) {
            throw new UnsupportedModelException(path + ": tensor '" + name + "' has dtype " + e.dtype()
                    + ", expected I64 or I32");
        }
        if (e.elementCount() > Integer.MAX_VALUE - 8) {
            throw new UnsupportedModelException(path + ": tensor '" + name + "' is too large for an index map");
        }
        int[] out = new int[(int) e.elementCount()];
        try {
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.beginBytes(), e.sizeBytes());
            map.order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < out.length; i++) {
                long v = wide ? map.getLong() : map.getInt();
                if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw new ModelFormatException(path + ": tensor '" + name + "' holds " + v + ", outside int range");
                }
                out[i] = (int) v;
            }
        } catch (IOException ex) {
            throw new ModelFormatException(path + ": cannot read tensor '" + name + "': " + ex.getMessage(), ex);
        }
        return out;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + entries.size() + " tensors]";
    }

    private static void widen(SafetensorsDtype dtype, ByteBuffer src, float[] dst, int offset, int count) {
        switch (dtype) {
            case F32:
                src.asFloatBuffer().get(dst, offset, count);
                break;
            case F16:
                for (int i = 0; i < count; i++) {
                    dst[offset + i] = Float16.halfToFloat(src.getShort(2 * i));
                }
                break;
            case BF16:
                for (int i = 0; i < count; i++) {
                    dst[offset + i] = Float16.bfloat16ToFloat(src.getShort(2 * i));
                }
                break;
            default:
                throw new IllegalStateException("not a float weight type: " + dtype);
        }
    }

    private static Map<String, SafetensorsEntry> parseHeader(Path file, String json, long dataBytes) {
        JsonObject root = parseJsonObject(file, json);
        Map<String, SafetensorsEntry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> member : root.entrySet()) {
            if (member.getKey().equals("__metadata__")) {
                continue;
            }
            entries.put(member.getKey(), parseEntry(file, member.getKey(), member.getValue(), dataBytes));
        }
        checkNoOverlap(file, entries);
        return entries;
    }

    private static JsonObject parseJsonObject(Path file, String json) {
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = new Gson().getAdapter(JsonElement.class).read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new ModelFormatException(file + ": header has data after its JSON object");
            }
            if (!root.isJsonObject()) {
                throw new ModelFormatException(file + ": header is JSON but not an object");
            }
            return root.getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelFormatException) {
                throw (ModelFormatException) e;
            }
            throw new ModelFormatException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static SafetensorsEntry parseEntry(Path file, String name, JsonElement value, long dataBytes) {
        String where = file + ": tensor '" + name + "'";
        if (!value.isJsonObject()) {
            throw new ModelFormatException(where + ": header entry is not an object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtypeJson = o.get("dtype");
        if (dtypeJson == null || !dtypeJson.isJsonPrimitive() || !dtypeJson.getAsJsonPrimitive().isString()) {
            throw new ModelFormatException(where + ": missing or non-string dtype");
        }
        SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeJson.getAsString());
        if (dtype == null) {
            throw new ModelFormatException(where + ": unknown dtype '" + dtypeJson.getAsString() + "'");
        }
        long[] shape = longArray(where, "shape", o.get("shape"), -1);
        for (long d : shape) {
            if (d < 0) {
                throw new ModelFormatException(where + ": negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long[] offsets = longArray(where, "data_offsets", o.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin || end > dataBytes) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] out of range of the " + dataBytes + "-byte data section");
        }
        long expected;
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            expected = Math.multiplyExact(n, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " overflows");
        }
        if (end - begin != expected) {
            throw new ModelFormatException(where + ": data_offsets span " + (end - begin) + " bytes, but "
                    + dtype + Arrays.toString(shape) + " needs " + expected);
        }
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long[] longArray(String where, String key, JsonElement json, int requiredLength) {
        if (json == null || !json.isJsonArray()) {
            throw new ModelFormatException(where + ": missing or non-array " + key);
        }
        JsonArray array = json.getAsJsonArray();
        if (requiredLength >= 0 && array.size() != requiredLength) {
            throw new ModelFormatException(where + ": " + key + " needs " + requiredLength + " entries, has " + array.size());
        }
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement e = array.get(i);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new ModelFormatException(where + ": " + key + " holds a non-number: " + e);
            }
            try {
                out[i] = e.getAsBigDecimal().longValueExact();
            } catch (ArithmeticException ex) {
                throw new ModelFormatException(where + ": " + key + " holds a non-integer: " + e);
            }
        }
        return out;
    }

    private static void checkNoOverlap(Path file, Map<String, SafetensorsEntry> entries) {
        List<SafetensorsEntry> sorted = new ArrayList<>(entries.values());
        sorted.removeIf(e -> e.sizeBytes() == 0);
        sorted.sort(Comparator.comparingLong(SafetensorsEntry::beginBytes));
        for (int i = 1; i < sorted.size(); i++) {
            SafetensorsEntry prev = sorted.get(i - 1);
            SafetensorsEntry next = sorted.get(i);
            if (next.beginBytes() < prev.endBytes()) {
                throw new ModelFormatException(file + ": tensor '" + next.name() + "' (bytes " + next.beginBytes()
                        + ".." + next.endBytes() + ") overlaps tensor '" + prev.name() + "' (bytes "
                        + prev.beginBytes() + ".." + prev.endBytes() + ")");
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + dst.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do: the file was only read
        }
    }
}
