package dev.mirrorsd.core.engine.onnx;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code tools/export/export_onnx.py} records beside {@code model.onnx} in
 * {@code mirror-sd-onnx.json}: the model's hyper-parameters and the graph's I/O names. A key the
 * sidecar lacks is read from a Hugging Face {@code config.json} in the same folder, if present.
 *
 * @param config        hyper-parameters
 * @param inputIds      int64 {@code (1, W)}
 * @param positionIds   int64 {@code (1, W)}
 * @param attentionMask float32 {@code (1, 1, W, P+W)}, additive
 * @param pastKeys      float32 {@code (1, kv_heads, P, head_dim)} per layer
 * @param pastValues    as pastKeys
 * @param logits        float32 {@code (1, W, vocab)}
 * @param presentKeys   float32 {@code (1, kv_heads, P+W, head_dim)} per layer
 * @param presentValues as presentKeys
 * @param maskedValue   the additive mask value of a position a row must not see
 * @param exitLogits    optional early-exit outputs, float32 {@code (1, W, vocab)}: the final norm and
 *                      LM head after {@code k} layers, by {@code k}; empty when none were exported
 */
public record OnnxSidecar(
        ModelConfig config,
        String inputIds,
        String positionIds,
        String attentionMask,
        List<String> pastKeys,
        List<String> pastValues,
        String logits,
        List<String> presentKeys,
        List<String> presentValues,
        float maskedValue,
        Map<Integer, String> exitLogits) {

    public static final String FILE_NAME = "mirror-sd-onnx.json";

    public OnnxSidecar {
        int layers = config.numLayers();
        for (List<String> names : List.of(pastKeys, pastValues, presentKeys, presentValues)) {
            if (names.size() != layers) {
                throw new ModelFormatException("sidecar names " + names.size() + " cache tensors for "
                        + layers + " layers: " + names);
            }
        }
        pastKeys = List.copyOf(pastKeys);
        pastValues = List.copyOf(pastValues);
        presentKeys = List.copyOf(presentKeys);
        presentValues = List.copyOf(presentValues);
        for (int k : exitLogits.keySet()) {
            if (k <= 0 || k >= layers) {
                throw new ModelFormatException("early-exit layer " + k + " must be in [1, " + (layers - 1) + "]");
            }
        }
        exitLogits = Map.copyOf(exitLogits);
    }

    /** Reads {@code dir/mirror-sd-onnx.json}, falling back to {@code dir/config.json} for absent keys. */
    public static OnnxSidecar read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("no ONNX sidecar at " + file
                    + "; export the model with tools/export/export_onnx.py");
        }
        Keys keys = new Keys(file, parse(file), parseOptional(dir.resolve("config.json")));
        ModelConfig config = new ModelConfig(
                Architecture.fromHuggingFace(keys.architecture()),
                keys.integer("vocab", "vocab_size"),
                keys.integer("hidden_size", "hidden_size"),
                keys.integer("intermediate_size", "intermediate_size"),
                keys.integer("num_layers", "num_hidden_layers"),
                keys.integer("num_heads", "num_attention_heads"),
                keys.integer("kv_heads", "num_key_value_heads"),
                keys.integer("head_dim", "head_dim"),
                keys.integer("max_positions", "max_position_embeddings"),
                keys.number("rms_norm_eps", "rms_norm_eps"),
                keys.number("rope_theta", "rope_theta"),
                keys.bool("tie_word_embeddings", "tie_word_embeddings"),
                keys.bool("attention_bias", "attention_bias"),
                keys.optionalInteger("bos_token_id", "bos_token_id"),
                keys.intArray("eos_token_ids", "eos_token_id"));
        JsonObject inputs = keys.object("inputs");
        JsonObject outputs = keys.object("outputs");
        return new OnnxSidecar(config,
                keys.string(inputs, "input_ids"), keys.string(inputs, "position_ids"),
                keys.string(inputs, "attention_mask"),
                keys.strings(inputs, "past_key"), keys.strings(inputs, "past_value"),
                keys.string(outputs, "logits"),
                keys.strings(outputs, "present_key"), keys.strings(outputs, "present_value"),
                keys.sidecar.has("masked_value") ? keys.sidecar.get("masked_value").getAsFloat() : -1e9f,
                exitNames(outputs));
    }

    private static Map<Integer, String> exitNames(JsonObject outputs) {
        Map<Integer, String> names = new TreeMap<>();
        if (outputs.has("exit_logits")) {
            for (Map.Entry<String, JsonElement> e : outputs.getAsJsonObject("exit_logits").entrySet()) {
                names.put(Integer.parseInt(e.getKey()), e.getValue().getAsString());
            }
        }
        return names;
    }

    private static JsonObject parse(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonObject parseOptional(Path file) {
        return Files.isRegularFile(file) ? parse(file) : new JsonObject();
    }

    /** Key lookup: the sidecar first, then config.json under its Hugging Face name. */
    private record Keys(Path file, JsonObject sidecar, JsonObject hf) {

        JsonElement find(String key, String hfKey) {
            if (sidecar.has(key) && !sidecar.get(key).isJsonNull()) {
                return sidecar.get(key);
            }
            if (hf.has(hfKey) && !hf.get(hfKey).isJsonNull()) {
                return hf.get(hfKey);
            }
            return null;
        }

        JsonElement require(String key, String hfKey) {
            JsonElement e = find(key, hfKey);
            if (e == null) {
                throw new ModelFormatException(file + " lacks '" + key + "' (and no config.json gives '" + hfKey + "')");
            }
            return e;
        }

        String architecture() {
            JsonElement e = find("architecture", "architectures");
            if (e == null) {
                throw new ModelFormatException(file + " lacks 'architecture'");
            }
            return e.isJsonArray() ? e.getAsJsonArray().get(0).getAsString() : e.getAsString();
        }

        int integer(String key, String hfKey) {
            return require(key, hfKey).getAsInt();
        }

        int optionalInteger(String key, String hfKey) {
            JsonElement e = find(key, hfKey);
            return e == null ? -1 : e.getAsInt();
        }

        float number(String key, String hfKey) {
            return require(key, hfKey).getAsFloat();
        }

        boolean bool(String key, String hfKey) {
            JsonElement e = find(key, hfKey);
            return e != null && e.getAsBoolean();
        }

        int[] intArray(String key, String hfKey) {
            JsonElement e = find(key, hfKey);
            if (e == null) {
                return new int[0];
            }
            if (!e.isJsonArray()) {
                return new int[] {e.getAsInt()};
            }
            JsonArray a = e.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).getAsInt();
            }
            return out;
        }

        JsonObject object(String key) {
            if (!sidecar.has(key) || !sidecar.get(key).isJsonObject()) {
                throw new ModelFormatException(file + " lacks the '" + key + "' names");
            }
            return sidecar.getAsJsonObject(key);
        }

        String string(JsonObject o, String key) {
            if (!o.has(key)) {
                throw new ModelFormatException(file + " lacks the I/O name '" + key + "'");
            }
            return o.get(key).getAsString();
        }

        List<String> strings(JsonObject o, String key) {
            if (!o.has(key) || !o.get(key).isJsonArray()) {
                throw new ModelFormatException(file + " lacks the I/O names '" + key + "'");
            }
            return o.getAsJsonArray(key).asList().stream().map(JsonElement::getAsString).toList();
        }
    }
}
