package dev.mirrorsd.core.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small GGUF files for tests, with knobs that corrupt them the ways real files break: a
 * wrong magic or version, a header tensor count that disagrees with the table, a cut-off end.
 */
final class GgufTestWriter {
    /** A metadata value with an explicit GGUF type id (see {@code GgufMetadataParser}). */
    record Typed(int type, Object value) {
    }

    private record Tensor(String name, long[] ggufDims, int typeId, byte[] data) {
    }

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private byte[] magic = "GGUF".getBytes(StandardCharsets.US_ASCII);
    private int version = 3;
    private Long tensorCountOverride;
    private int alignment = 32;

    GgufTestWriter magic(String m) {
        magic = m.getBytes(StandardCharsets.US_ASCII);
        return this;
    }

    GgufTestWriter version(int v) {
        version = v;
        return this;
    }

    GgufTestWriter tensorCount(long n) {
        tensorCountOverride = n;
        return this;
    }

    GgufTestWriter alignment(int a) {
        alignment = a;
        metadata.put("general.alignment", new Typed(4, (long) a));
        return this;
    }

    /** String -> string, Long -> int64 (or uint32 via {@link Typed}), Double -> float32, Boolean, List -> array. */
    GgufTestWriter kv(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    /** A float32 tensor; {@code pytorchShape} outermost first, as a test thinks of it. */
    GgufTestWriter f32(String name, long[] pytorchShape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return raw(name, pytorchShape, GgmlType.F32.id(), b.array());
    }

    /** A tensor of any type id with the given raw data bytes. */
    GgufTestWriter raw(String name, long[] pytorchShape, int typeId, byte[] data) {
        long[] dims = new long[pytorchShape.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = pytorchShape[dims.length - 1 - i];
        }
        tensors.add(new Tensor(name, dims, typeId, data));
        return this;
    }

    byte[] toBytes() {
        Out out = new Out();
        out.bytes(magic);
        out.i32(version);
        out.i64(tensorCountOverride != null ? tensorCountOverride : tensors.size());
        out.i64(metadata.size());
        metadata.forEach((k, v) -> {
            out.string(k);
            out.value(v, true);
        });
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.i32(t.ggufDims.length);
            for (long d : t.ggufDims) {
                out.i64(d);
            }
            out.i32(t.typeId);
            out.i64(offset);
            offset = pad(offset + t.data.length);
        }
        out.zeros(pad(out.size()) - out.size());
        for (Tensor t : tensors) {
            out.bytes(t.data);
            out.zeros(pad(t.data.length) - t.data.length);
        }
        return out.toByteArray();
    }

    Path write(Path file) {
        try {
            return Files.write(file, toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long pad(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** Little-endian output with GGUF's value encodings. */
    static final class Out extends ByteArrayOutputStream {
        void bytes(byte[] b) {
            write(b, 0, b.length);
        }

        void zeros(long n) {
            for (long i = 0; i < n; i++) {
                write(0);
            }
        }

        void i32(int v) {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void i64(long v) {
            bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b);
        }

        /** Writes {@code v}, preceded by its type id when {@code withType}. */
        void value(Object v, boolean withType) {
            int type = typeOf(v);
            if (withType) {
                i32(type);
            }
            Object x = v instanceof Typed t ? t.value() : v;
            switch (type) {
                case 0, 1, 7 -> write(x instanceof Boolean bool ? (bool ? 1 : 0) : (int) (long) (Long) x);
                case 2, 3 -> bytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN)
                        .putShort((short) (long) (Long) x).array());
                case 4, 5 -> i32((int) (long) (Long) x);
                case 6 -> i32(Float.floatToIntBits((float) (double) (Double) x));
                case 8 -> string((String) x);
                case 10, 11 -> i64((Long) x);
                case 12 -> i64(Double.doubleToLongBits((Double) x));
                case 9 -> {
                    List<?> list = (List<?>) x;
                    i32(list.isEmpty() ? 4 : typeOf(list.get(0)));
                    i64(list.size());
                    list.forEach(e -> value(e, false));
                }
                default -> throw new IllegalArgumentException("type " + type);
            }
        }

        private static int typeOf(Object v) {
            if (v instanceof Typed t) {
                return t.type();
            }
            if (v instanceof String) {
                return 8;
            }
            if (v instanceof Long) {
                return 11;
            }
            if (v instanceof Integer) {
                throw new IllegalArgumentException("use Long for integers");
            }
            if (v instanceof Double) {
                return 6;
            }
            if (v instanceof Boolean) {
                return 7;
            }
            if (v instanceof List) {
                return 9;
            }
            throw new IllegalArgumentException("cannot write " + v);
        }
    }
}
