package dev.mirrorsd.core.format.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.ModelFormatException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Typed reads from Hugging Face JSON files; every error names the file and the key. */
final class HfJson {
    private final Path file;
    private final JsonObject root;

    private HfJson(Path file, JsonObject root) {
        this.file = file;
        this.root = root;
    }

    static HfJson read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            JsonElement root = JsonParser.parseString(text);
            if (!root.isJsonObject()) {
                throw new ModelFormatException(file + ": not a JSON object");
            }
            return new HfJson(file, root.getAsJsonObject());
        } catch (RuntimeException e) {
            if (e instanceof ModelFormatException) {
                throw e;
            }
            throw new ModelFormatException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    JsonObject root() {
        return root;
    }

    /** Whether the key is present with a non-null value. */
    boolean has(String key) {
        JsonElement e = root.get(key);
        return e != null && !e.isJsonNull();
    }

    JsonElement get(String key) {
        return has(key) ? root.get(key) : null;
    }

    int requireInt(String key) {
        if (!has(key)) {
            throw new ModelFormatException(file + ": missing '" + key + "'");
        }
        return toInt(key, root.get(key));
    }

    int intOr(String key, int fallback) {
        return has(key) ? toInt(key, root.get(key)) : fallback;
    }

    double doubleOr(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        return toDouble(key, root.get(key));
    }

    boolean boolOr(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = root.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new ModelFormatException(file + ": '" + key + "' must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    String stringOr(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        return toString(key, root.get(key));
    }

    /** {@code e} as a string; {@code key} names it in the error (nested keys written {@code a.b}). */
    String toString(String key, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new ModelFormatException(file + ": '" + key + "' must be a string, got " + e);
        }
        return e.getAsString();
    }

    int toInt(String key, JsonElement e) {
        double v = toDouble(key, e);
        if (v != Math.rint(v) || v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new ModelFormatException(file + ": '" + key + "' must be an integer, got " + e);
        }
        return (int) v;
    }

    double toDouble(String key, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new ModelFormatException(file + ": '" + key + "' must be a number, got " + e);
        }
        return e.getAsDouble();
    }
}
