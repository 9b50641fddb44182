package dev.mirrorsd.engine.aoti;

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
import java.util.Set;

/**
 * What {@code tools/gpu/export_aoti.py} writes beside the compiled graphs, {@value #FILE_NAME}
 * (format {@value #FORMAT}): the model's hyper-parameters and how the graphs chain.
 *
 * <p>Layer stages run in order over one window; each takes the window's tokens (the first) or the
 * previous stage's hidden state, the positions, the additive mask {@code (W, T)}, the cache slots
 * to write and the sequence's cache {@code (layers, 2, kv_heads, capacity, head_dim)}, and gives
 * {@code hidden (W, hidden_size)} and/or float32 {@code logits (W, logits_width)}. Heads take a
 * hidden state: the {@code exit} head gives early-exit proxy logits at a stage boundary, the
 * {@code mtp} head the draft's multi-token logits {@code (W, mtp_heads, logits_width)}.
 *
 * @param dir         the folder holding the manifest and the graphs
 * @param config      hyper-parameters; {@code vocabSize} is the embedding's rows
 * @param deviceKind  "cuda" or "cpu": what the graphs were compiled for
 * @param dtype       compute dtype of the hidden state and the cache: float32, bfloat16 or float16
 * @param maxWindow   most rows in one window (the export's declared limit)
 * @param maxContext  most cache slots (capacity) and attended positions
 * @param maskedValue additive mask value of a position a row must not see
 * @param logitsWidth columns of every logits output (a reduced draft vocabulary may be narrower)
 * @param stages      layer stages, first to last
 * @param exitHead    library of the early-exit head, or null
 * @param mtpHead     library of the multi-token heads, or null
 * @param mtpHeads    multi-token heads (0 without {@code mtpHead})
 * @param synthetic   the weights are random (timing only)
 */
public record AotiManifest(
        Path dir,
        ModelConfig config,
        String deviceKind,
        String dtype,
        int maxWindow,
        int maxContext,
        float maskedValue,
        int logitsWidth,
        List<Stage> stages,
        String exitHead,
        String mtpHead,
        int mtpHeads,
        boolean synthetic) {

    public static final String FILE_NAME = "mirror-sd-aoti.json";
    public static final String FORMAT = "mirror-sd-aoti/1";
    private static final Set<String> DTYPES = Set.of("float32", "bfloat16", "float16");

    /**
     * One graph of consecutive decoder layers.
     *
     * @param graph       its name
     * @param library     its shared library, relative to the manifest's folder
     * @param firstLayer  first layer it runs
     * @param endLayer    one past the last layer it runs
     * @param takesTokens true for the first stage (it embeds), false for one fed a hidden state
     * @param outputs     "hidden" and/or "logits", in the graph's output order
     */
    public record Stage(String graph, String library, int firstLayer, int endLayer, boolean takesTokens,
                        List<String> outputs) {
        public Stage {
            outputs = List.copyOf(outputs);
        }

        int outputIndex(String name) {
            return outputs.indexOf(name);
        }
    }

    public AotiManifest {
        stages = List.copyOf(stages);
        String where = dir.resolve(FILE_NAME).toString();
        if (!deviceKind.equals("cuda") && !deviceKind.equals("cpu")) {
            throw new ModelFormatException(where + ": device must be cuda or cpu, got " + deviceKind);
        }
        if (!DTYPES.contains(dtype)) {
            throw new ModelFormatException(where + ": dtype must be one of " + DTYPES + ", got " + dtype);
        }
        if (maxWindow < 1 || maxContext < 2) {
            throw new ModelFormatException(where + ": max_window must be >= 1 and max_context >= 2, got " + maxWindow
                    + " and " + maxContext);
        }
        if (logitsWidth < 1 || logitsWidth > config.vocabSize()) {
            throw new ModelFormatException(where + ": logits_width " + logitsWidth + " must be in [1, vocab "
                    + config.vocabSize() + "]");
        }
        checkStages(where, stages, config.numLayers());
        Stage last = stages.get(stages.size() - 1);
        if (mtpHead != null && (mtpHeads <= 0 || last.outputIndex("hidden") < 0)) {
            throw new ModelFormatException(where + ": an mtp head needs mtp_heads > 0 and a last stage that outputs"
                    + " hidden, got mtp_heads " + mtpHeads + " and " + last.outputs());
        }
        if (mtpHead == null && mtpHeads != 0) {
            throw new ModelFormatException(where + ": mtp_heads " + mtpHeads + " without an mtp head graph");
        }
        if (exitHead != null && stages.size() < 2) {
            throw new ModelFormatException(where + ": an exit head needs at least two stages (a split to exit at)");
        }
    }

    private static void checkStages(String where, List<Stage> stages, int layers) {
        if (stages.isEmpty()) {
            throw new ModelFormatException(where + " lists no stages");
        }
        int next = 0;
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            boolean last = i == stages.size() - 1;
            if (s.firstLayer() != next || s.endLayer() <= s.firstLayer()) {
                throw new ModelFormatException(where + ": stage " + s.graph() + " runs layers [" + s.firstLayer() + ", "
                        + s.endLayer() + "), expected a non-empty range starting at " + next);
            }
            if (s.takesTokens() != (i == 0)) {
                throw new ModelFormatException(where + ": stage " + s.graph() + " must take "
                        + (i == 0 ? "tokens (it is first)" : "hidden (it follows another stage)"));
            }
            if (!last && s.outputIndex("hidden") < 0) {
                throw new ModelFormatException(where + ": stage " + s.graph() + " feeds the next one but outputs no hidden");
            }
            if (last && s.outputIndex("logits") < 0) {
                throw new ModelFormatException(where + ": the last stage " + s.graph() + " outputs no logits");
            }
            for (String o : s.outputs()) {
                if (!o.equals("hidden") && !o.equals("logits")) {
                    throw new ModelFormatException(where + ": stage " + s.graph() + " has an unknown output " + o);
                }
            }
            next = s.endLayer();
        }
        if (next != layers) {
            throw new ModelFormatException(where + ": the stages end at layer " + next + ", the model has " + layers);
        }
    }

    /** Reads {@code dir/mirror-sd-aoti.json}. */
    public static AotiManifest read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("no AOTI manifest at " + file + "; export the model with tools/gpu/export_aoti.py");
        }
        JsonObject o;
        try {
            o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Keys k = new Keys(file, o);
        if (!FORMAT.equals(k.optionalString("format"))) {
            throw new ModelFormatException(file + " is not a " + FORMAT + " manifest (format: " + o.get("format")
                    + "); write it with tools/gpu/export_aoti.py");
        }
        try {
            ModelConfig config = new ModelConfig(Architecture.fromHuggingFace(k.string("architecture")),
                    k.integer("vocab"), k.integer("hidden_size"), k.integer("intermediate_size"), k.integer("num_layers"),
                    k.integer("num_heads"), k.integer("kv_heads"), k.integer("head_dim"), k.integer("max_positions"),
                    k.number("rms_norm_eps"), k.number("rope_theta"), o.has("tie_word_embeddings")
                    && o.get("tie_word_embeddings").getAsBoolean(), false,
                    o.has("bos_token_id") ? o.get("bos_token_id").getAsInt() : -1, k.ints("eos_token_ids"));
            List<Stage> stages = new ArrayList<>();
            for (JsonElement e : k.array("stages")) {
                Keys s = new Keys(file, e.getAsJsonObject());
                String input = s.string("input");
                if (!input.equals("tokens") && !input.equals("hidden")) {
                    throw new ModelFormatException(file + ": stage input must be tokens or hidden, got " + input);
                }
                stages.add(new Stage(s.string("graph"), s.string("library"), s.integer("first_layer"),
                        s.integer("end_layer"), input.equals("tokens"), s.strings("outputs")));
            }
            String exit = null;
            String mtp = null;
            for (JsonElement e : o.has("heads") ? k.array("heads") : new JsonArray()) {
                Keys h = new Keys(file, e.getAsJsonObject());
                switch (h.string("kind")) {
                    case "exit" -> exit = h.string("library");
                    case "mtp" -> mtp = h.string("library");
                    default -> throw new ModelFormatException(file + ": unknown head kind " + h.string("kind"));
                }
            }
            return new AotiManifest(dir, config, k.string("device"), k.string("dtype"), k.integer("max_window"),
                    k.integer("max_context"), o.has("masked_value") ? k.number("masked_value") : -1e9f,
                    o.has("logits_width") ? k.integer("logits_width") : config.vocabSize(), stages, exit, mtp,
                    o.has("mtp_heads") ? k.integer("mtp_heads") : 0,
                    o.has("synthetic") && o.get("synthetic").getAsBoolean());
        } catch (ClassCastException | IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            throw new ModelFormatException(file + ": a value has the wrong type: " + e.getMessage(), e);
        }
    }

    /** Layers after which {@link dev.mirrorsd.core.model.ForwardPass#runTo} may stop: every stage end. */
    public List<Integer> stopLayers() {
        return stages.stream().map(Stage::endLayer).toList();
    }

    /** The early-exit layers (stage boundaries before the last layer), if an exit head was exported. */
    public List<Integer> exitLayers() {
        if (exitHead == null) {
            return List.of();
        }
        return stages.subList(0, stages.size() - 1).stream().map(Stage::endLayer).toList();
    }

    /** Bytes per element of the compute dtype. */
    int elementBytes() {
        return dtype.equals("float32") ? 4 : 2;
    }

    int dtypeCode() {
        return switch (dtype) {
            case "float32" -> AotiNative.FLOAT32;
            case "bfloat16" -> AotiNative.BFLOAT16;
            default -> AotiNative.FLOAT16;
        };
    }

    private record Keys(Path file, JsonObject o) {
        JsonElement require(String key) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                throw new ModelFormatException(file + " lacks '" + key + "'");
            }
            return e;
        }

        String string(String key) {
            return require(key).getAsString();
        }

        String optionalString(String key) {
            JsonElement e = o.get(key);
            return e == null || !e.isJsonPrimitive() ? null : e.getAsString();
        }

        int integer(String key) {
            return require(key).getAsInt();
        }

        float number(String key) {
            return require(key).getAsFloat();
        }

        JsonArray array(String key) {
            JsonElement e = require(key);
            if (!e.isJsonArray()) {
                throw new ModelFormatException(file + ": '" + key + "' must be a list");
            }
            return e.getAsJsonArray();
        }

        List<String> strings(String key) {
            return array(key).asList().stream().map(JsonElement::getAsString).toList();
        }

        int[] ints(String key) {
            if (!o.has(key)) {
                return new int[0];
            }
            return array(key).asList().stream().mapToInt(JsonElement::getAsInt).toArray();
        }
    }
}
