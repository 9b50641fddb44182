package dev.mirrorsd.core.format.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code config.json} (and {@code generation_config.json} for BOS/EOS) to {@link ModelConfig}, with
 * the defaults of transformers' {@code LlamaConfig}, {@code MistralConfig} and {@code Qwen2Config}
 * for keys a file leaves out.
 */
final class HfConfigReader {
    private static final double DEFAULT_ROPE_THETA = 10_000.0;
    private static final double DEFAULT_RMS_NORM_EPS = 1e-6;

    private HfConfigReader() {
    }

    /** Reads {@code dir/config.json}, and {@code dir/generation_config.json} when present. */
    static ModelConfig read(Path dir) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(dir + ": no config.json");
        }
        HfJson config = HfJson.read(configFile);
        Path generationFile = dir.resolve("generation_config.json");
        HfJson generation = Files.isRegularFile(generationFile) ? HfJson.read(generationFile) : null;
        try {
            return parse(config, generation);
        } catch (UnsupportedModelException e) {
            throw e.getMessage().startsWith(configFile.toString()) ? e
                    : new UnsupportedModelException(configFile + ": " + e.getMessage());
        } catch (ModelFormatException e) {
            throw e.getMessage().startsWith(configFile.toString()) ? e
                    : new ModelFormatException(configFile + ": " + e.getMessage(), e);
        }
    }

    static ModelConfig parse(HfJson c, HfJson generation) {
        Architecture arch = architecture(c);
        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        if (heads <= 0) {
            throw new ModelFormatException("num_attention_heads must be positive, got " + heads);
        }
        int headDim;
        if (c.has("head_dim")) {
            headDim = c.requireInt("head_dim");
        } else if (hidden % heads != 0) {
            throw new ModelFormatException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads ("
                    + heads + ") and no head_dim is given");
        } else {
            headDim = hidden / heads;
        }
        // a key left out takes the config class's default; an explicit null means "same as heads"
        int kvHeads = c.root().has("num_key_value_heads") ? c.intOr("num_key_value_heads", heads)
                : defaultKvHeads(arch, heads);
        String act = c.stringOr("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new UnsupportedModelException("hidden_act '" + act + "' is not supported; only silu");
        }
        if (c.boolOr("mlp_bias", false)) {
            throw new UnsupportedModelException("mlp_bias=true is not supported");
        }
        if (arch == Architecture.QWEN2 && c.boolOr("use_sliding_window", false)) {
            throw new UnsupportedModelException("use_sliding_window=true is not supported");
        }
        boolean attentionBias = arch == Architecture.QWEN2 || c.boolOr("attention_bias", false);
        HfJson ids = generation != null ? generation : c;
        int bos = tokenId(ids, c, "bos_token_id", defaultSpecialId(arch, 1));
        int[] eos = tokenIds(ids, c, "eos_token_id", defaultSpecialId(arch, 2));
        return new ModelConfig(
                arch,
                c.requireInt("vocab_size"),
                hidden,
                c.requireInt("intermediate_size"),
                c.requireInt("num_hidden_layers"),
                heads,
                kvHeads,
                headDim,
                c.intOr("max_position_embeddings", defaultMaxPositions(arch)),
                (float) c.doubleOr("rms_norm_eps", DEFAULT_RMS_NORM_EPS),
                (float) ropeTheta(c),
                c.boolOr("tie_word_embeddings", false),
                attentionBias,
                bos,
                eos);
    }

    private static Architecture architecture(HfJson c) {
        JsonElement archs = c.get("architectures");
        if (archs != null && archs.isJsonArray() && archs.getAsJsonArray().size() > 0) {
            return Architecture.fromHuggingFace(c.toString("architectures[0]", archs.getAsJsonArray().get(0)));
        }
        String modelType = c.stringOr("model_type", null);
        if (modelType == null) {
            throw new ModelFormatException("neither 'architectures' nor 'model_type' is given");
        }
        return Architecture.fromGguf(modelType);
    }

    /** RoPE base; any scaling other than the plain ("default") kind is refused. */
    private static double ropeTheta(HfJson c) {
        double theta = c.doubleOr("rope_theta", DEFAULT_ROPE_THETA);
        for (String key : new String[] {"rope_scaling", "rope_parameters"}) {
            JsonElement e = c.get(key);
            if (e == null) {
                continue;
            }
            if (!e.isJsonObject()) {
                throw new ModelFormatException("'" + key + "' must be an object, got " + e);
            }
            JsonObject rope = e.getAsJsonObject();
            JsonElement type = rope.has("rope_type") ? rope.get("rope_type") : rope.get("type");
            if (type == null || type.isJsonNull()) {
                if (rope.has("full_attention") || rope.has("sliding_attention")) {
                    throw new UnsupportedModelException("per-layer-type '" + key + "' is not supported: " + rope);
                }
            } else if (!c.toString(key + ".rope_type", type).equals("default")) {
                throw new UnsupportedModelException("RoPE scaling '" + type.getAsString() + "' (" + key + " = "
                        + rope + ") is not supported; only unscaled (default) RoPE");
            }
            JsonElement t = rope.get("rope_theta");
            if (t != null && !t.isJsonNull()) {
                theta = c.toDouble(key + ".rope_theta", t);
            }
        }
        return theta;
    }

    private static int defaultKvHeads(Architecture arch, int heads) {
        switch (arch) {
            case MISTRAL:
                return 8;
            case QWEN2:
                return 32;
            default:
                return heads;
        }
    }

    private static int defaultMaxPositions(Architecture arch) {
        switch (arch) {
            case MISTRAL:
                return 4096 * 32;
            case QWEN2:
                return 32768;
            default:
                return 2048;
        }
    }

    /** LlamaConfig and MistralConfig default BOS 1 and EOS 2; Qwen2Config leaves both unset (-1). */
    private static int defaultSpecialId(Architecture arch, int llamaDefault) {
        return arch == Architecture.QWEN2 ? -1 : llamaDefault;
    }

    private static int tokenId(HfJson primary, HfJson fallback, String key, int dflt) {
        JsonElement e = primary.has(key) ? primary.get(key) : fallback.get(key);
        HfJson from = primary.has(key) ? primary : fallback;
        if (e == null) {
            return fallback.root().has(key) ? -1 : dflt;
        }
        if (e.isJsonArray()) {
            return e.getAsJsonArray().size() == 0 ? -1 : from.toInt(key, e.getAsJsonArray().get(0));
        }
        return from.toInt(key, e);
    }

    private static int[] tokenIds(HfJson primary, HfJson fallback, String key, int dflt) {
        JsonElement e = primary.has(key) ? primary.get(key) : fallback.get(key);
        HfJson from = primary.has(key) ? primary : fallback;
        if (e == null) {
            return fallback.root().has(key) || dflt < 0 ? new int[0] : new int[] {dflt};
        }
        if (!e.isJsonArray()) {
            return new int[] {from.toInt(key, e)};
        }
        int[] out = new int[e.getAsJsonArray().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = from.toInt(key, e.getAsJsonArray().get(i));
        }
        return out;
    }
}
