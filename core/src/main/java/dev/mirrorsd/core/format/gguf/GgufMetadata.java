package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Typed look-ups in a GGUF metadata map, whose errors name the file and the key. Values are as
 * {@link GgufFile#metadata()} types them (integers {@link Long}, floats {@link Double}).
 */
final class GgufMetadata {
    private final Map<String, Object> values;
    private final String source;

    GgufMetadata(Map<String, Object> values, String source) {
        this.values = values;
        this.source = source;
    }

    String source() {
        return source;
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    String requireString(String key) {
        Object v = require(key);
        if (!(v instanceof String s)) {
            throw wrongType(key, "a string", v);
        }
        return s;
    }

    String optString(String key) {
        Object v = values.get(key);
        if (v != null && !(v instanceof String)) {
            throw wrongType(key, "a string", v);
        }
        return (String) v;
    }

    /** An integer that must fit an int and be at least 0. */
    int requireInt(String key) {
        return toInt(key, require(key));
    }

    OptionalLong optLong(String key) {
        Object v = values.get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(toInt(key, v));
    }

    /** A number (float or integer), widened to double. */
    OptionalDouble optDouble(String key) {
        Object v = values.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        if (!(v instanceof Double) && !(v instanceof Long)) {
            throw wrongType(key, "a number", v);
        }
        return OptionalDouble.of(((Number) v).doubleValue());
    }

    /** An array of strings, or null when absent. */
    List<String> optStrings(String key) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list) || !allStrings(list)) {
            throw wrongType(key, "an array of strings", v);
        }
        @SuppressWarnings("unchecked")
        List<String> strings = (List<String>) list;
        return strings;
    }

    // a plain loop: a stream here costs a cold start tens of milliseconds on a 49k-token vocabulary
    private static boolean allStrings(List<?> list) {
        for (Object e : list) {
            if (!(e instanceof String)) {
                return false;
            }
        }
        return true;
    }

    /** An array of integers as ints, or null when absent. */
    int[] optInts(String key) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw wrongType(key, "an array of integers", v);
        }
        int[] ints = new int[list.size()];
        for (int i = 0; i < ints.length; i++) {
            if (!(list.get(i) instanceof Long l) || l != (int) (long) l) {
                throw wrongType(key, "an array of 32-bit integers", list.get(i));
            }
            ints[i] = (int) (long) l;
        }
        return ints;
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw new ModelFormatException(source + ": missing metadata '" + key + "'");
        }
        return v;
    }

    private int toInt(String key, Object v) {
        if (!(v instanceof Long l)) {
            throw wrongType(key, "an integer", v);
        }
        if (l < 0 || l > Integer.MAX_VALUE) {
            throw new ModelFormatException(source + ": metadata '" + key + "' = " + l + " is out of range");
        }
        return (int) (long) l;
    }

    private ModelFormatException wrongType(String key, String expected, Object v) {
        String shown = v instanceof List<?> l ? "an array of " + l.size() : String.valueOf(v);
        return new ModelFormatException(source + ": metadata '" + key + "' must be " + expected + ", got "
                + shown + (v == null ? "" : " (" + v.getClass().getSimpleName() + ")"));
    }
}
