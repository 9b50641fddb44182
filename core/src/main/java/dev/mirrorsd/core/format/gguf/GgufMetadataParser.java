package dev.mirrorsd.core.format.gguf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF file's key/value section into Java values: every integer type becomes
 * {@link Long} (uint64 above {@code Long.MAX_VALUE} wraps negative), float32/float64
 * {@link Double}, bool {@link Boolean}, string {@link String}, array an unmodifiable
 * {@code List<Object>} of elements mapped the same way.
 */
final class GgufMetadataParser {
    // GGUF value type ids (gguf.h: enum gguf_type)
    private static final int UINT8 = 0;
    private static final int INT8 = 1;
    private static final int UINT16 = 2;
    private static final int INT16 = 3;
    private static final int UINT32 = 4;
    private static final int INT32 = 5;
    private static final int FLOAT32 = 6;
    private static final int BOOL = 7;
    private static final int STRING = 8;
    private static final int ARRAY = 9;
    private static final int UINT64 = 10;
    private static final int INT64 = 11;
    private static final int FLOAT64 = 12;

    /** Arrays nest; a corrupt file could claim endless nesting, which would overflow the stack. */
    private static final int MAX_ARRAY_DEPTH = 8;

    private final GgufReader in;

    GgufMetadataParser(GgufReader in) {
        this.in = in;
    }

    /** Reads {@code count} key/value pairs; a repeated key is a format error. */
    Map<String, Object> read(long count) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            String key = in.string("metadata key #" + i);
            int type = in.i32("type of metadata '" + key + "'");
            Object value = value(type, key, 0);
            if (metadata.put(key, value) != null) {
                throw in.error("metadata key '" + key + "' appears twice");
            }
        }
        return Collections.unmodifiableMap(metadata);
    }

    private Object value(int type, String key, int depth) {
        String what = "value of metadata '" + key + "'";
        switch (type) {
            case UINT8:
                return (long) in.u8(what);
            case INT8:
                return (long) (byte) in.u8(what);
            case UINT16:
                return (long) in.u16(what);
            case INT16:
                return (long) (short) in.u16(what);
            case UINT32:
                return in.u32(what);
            case INT32:
                return (long) in.i32(what);
            case UINT64:
            case INT64:
                return in.i64(what);
            case FLOAT32:
                return (double) Float.intBitsToFloat(in.i32(what));
            case FLOAT64:
                return Double.longBitsToDouble(in.i64(what));
            case BOOL:
                return in.u8(what) != 0;
            case STRING:
                return in.string(what);
            case ARRAY:
                return array(key, depth);
            default:
                throw in.error("metadata '" + key + "' has unknown value type " + type);
        }
    }

    private List<Object> array(String key, int depth) {
        if (depth >= MAX_ARRAY_DEPTH) {
            throw in.error("metadata '" + key + "' nests arrays deeper than " + MAX_ARRAY_DEPTH);
        }
        int elementType = in.i32("array element type of metadata '" + key + "'");
        long n = in.count("array length of metadata '" + key + "'", minBytes(elementType));
        List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
        for (long i = 0; i < n; i++) {
            list.add(value(elementType, key, depth + 1));
        }
        return Collections.unmodifiableList(list);
    }

    /** The fewest bytes one value of {@code type} takes, so a claimed length can be checked against the file. */
    private static long minBytes(int type) {
        switch (type) {
            case UINT8:
            case INT8:
            case BOOL:
                return 1;
            case UINT16:
            case INT16:
                return 2;
            case UINT32:
            case INT32:
            case FLOAT32:
                return 4;
            case UINT64:
            case INT64:
            case FLOAT64:
            case STRING:
                return 8;
            case ARRAY:
                return 12;
            default:
                return 1; // unknown: the first element read reports it
        }
    }
}
