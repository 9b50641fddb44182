package dev.mirrorsd.engine.onnx;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code tools/export/export_onnx.py} (and {@code tools/train/export.py} for the project's
 * draft) records beside the graph in {@code mirror-sd-onnx.json}, format {@value #FORMAT}: the
 * model's hyper-parameters and the graph's I/O names. A key the sidecar lacks is read from a
 * Hugging Face {@code config.json} in the same folder, if present.
 *
 * <p>Optional parts: the graph may take {@code inputs_embeds} instead of {@code input_ids} (the
 * caller then supplies the embedding matrix), its LM head may be narrower than the embedding
 * ({@code logits_width}, a reduced draft vocabulary), and it may give multi-token heads
 * ({@code mtp_heads} and the output {@code mtp_logits}).
 *
 * @param config        hyper-parameters; {@code vocab} is the embedding's rows
 * @param modelFile     the graph's file in the folder ({@code file}, default {@code model.onnx})
 * @param inputIds      int64 {@code (1, W)}, or null when the graph takes embeddings
 * @param inputsEmbeds  float32 {@code (1, W, hidden)}, or null when the graph takes ids
 * @param positionIds   int64 {@code (1, W)}
 * @param attentionMask float32 {@code (1, 1, W, P+W)}, additive
 * @param pastKeys      float32 {@code (1, kv_heads, P, head_dim)} per layer
 * @param pastValues    as pastKeys
 * @param logits        float32 {@code (1, W, logitsWidth)}
 * @param logitsWidth   rows of the LM head: the vocabulary, or fewer for a reduced head
 * @param mtpLogits     float32 {@code (1, W, mtpHeads, logitsWidth)}, head k predicting token t+2+k; or null
 * @param mtpHeads      multi-token heads, 0 when {@code mtpLogits} is null
 * @param presentKeys   float32 {@code (1, kv_heads, P+W, head_dim)} per layer
 * @param presentValues as presentKeys
 * @param maskedValue   the additive mask value of a position a row must not see
 * @param exitLogits    optional early-exit outputs, float32 {@code (1, W, logitsWidth)}: the final norm and
 *                      LM head after {@code k} layers, by {@code k}; empty when none were exported
 */
public record OnnxSidecar(
        ModelConfig config,
        String modelFile,
        String inputIds,
        String inputsEmbeds,
        String positionIds,
        String attentionMask,
        List<String> pastKeys,
        List<String> pastValues,
        String logits,
        int logitsWidth,
        String mtpLogits,
        int mtpHeads,
        List<String> presentKeys,
        List<String> presentValues,
        float maskedValue,
        Map<Integer, String> exitLogits) {

    public static final String FILE_NAME = "mirror-sd-onnx.json";
    public static final String FORMAT = "mirror-sd-onnx/1";
    public static final String DEFAULT_MODEL_FILE = "model.onnx";

    public OnnxSidecar {
        if ((inputIds == null) == (inputsEmbeds == null)) {
            throw new ModelFormatException("the sidecar must name exactly one of the inputs input_ids and inputs_embeds");
        }
        if (logitsWidth <= 0 || logitsWidth > config.vocabSize()) {
            throw new ModelFormatException("logits_width " + logitsWidth + " must be in [1, vocab " + config.vocabSize() + "]");
        }
        if ((mtpLogits == null) != (mtpHeads == 0) || mtpHeads < 0) {
            throw new ModelFormatException("mtp_heads (" + mtpHeads + ") must be positive exactly when the output"
                    + " mtp_logits is named (" + mtpLogits + ")");
        }
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
        keys.requireFormat();
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
        JsonObject top = keys.sidecar;
        return new OnnxSidecar(config,
                top.has("file") ? top.get("file").getAsString() : DEFAULT_MODEL_FILE,
                keys.optionalString(inputs, "input_ids"), keys.optionalString(inputs, "inputs_embeds"),
                keys.string(inputs, "position_ids"), keys.string(inputs, "attention_mask"),
                keys.strings(inputs, "past_key"), keys.strings(inputs, "past_value"),
                keys.string(outputs, "logits"),
                top.has("logits_width") ? top.get("logits_width").getAsInt() : config.vocabSize(),
                keys.optionalString(outputs, "mtp_logits"),
                top.has("mtp_heads") ? top.get("mtp_heads").getAsInt() : 0,
                keys.strings(outputs, "present_key"), keys.strings(outputs, "present_value"),
                keys.sidecar.has("masked_value") ? keys.sidecar.get("masked_value").getAsFloat() : -1e9f,
                exitNames(outputs));
    }

    /** True when the graph takes {@code inputs_embeds}: the caller supplies the embedding matrix. */
    public boolean takesEmbeddings() {
        return inputsEmbeds != null;
    }

    /** The graph's inputs the sidecar names, in feeding order. */
    public List<String> inputNames() {
        List<String> names = new ArrayList<>(List.of(takesEmbeddings() ? inputsEmbeds : inputIds, positionIds,
                attentionMask));
        names.addAll(pastKeys);
        names.addAll(pastValues);
        return names;
    }

    /** The graph's outputs the sidecar names. */
    public List<String> outputNames() {
        List<String> names = new ArrayList<>(List.of(logits));
        if (mtpLogits != null) {
            names.add(mtpLogits);
        }
        names.addAll(presentKeys);
        names.addAll(presentValues);
        names.addAll(exitLogits.values());
        return names;
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

        void requireFormat() {
            JsonElement format = sidecar.get("format");
            if (format == null || !format.isJsonPrimitive() || !FORMAT.equals(format.getAsString())) {
                throw new ModelFormatException(file + " is not a " + FORMAT + " sidecar (format: " + format
                        + "); write it with tools/export/export_onnx.py or tools/train/export.py");
            }
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

        String optionalString(JsonObject o, String key) {
            return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
        }

        List<String> strings(JsonObject o, String key) {
            if (!o.has(key) || !o.get(key).isJsonArray()) {
                throw new ModelFormatException(file + " lacks the I/O names '" + key + "'");
            }
            return o.getAsJsonArray(key).asList().stream().map(JsonElement::getAsString).toList();
        }
    }
}
