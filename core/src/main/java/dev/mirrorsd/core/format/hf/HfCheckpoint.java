package dev.mirrorsd.core.format.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.safetensors.SafetensorsEntry;
import dev.mirrorsd.core.format.safetensors.SafetensorsFile;
import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.tokenizer.ChatTemplate;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face checkpoint directory: {@code config.json}, optional {@code generation_config.json},
 * weights in {@code model.safetensors} or shards listed by {@code model.safetensors.index.json}, and
 * the tokenizer files ({@code tokenizer.json}, {@code tokenizer_config.json}, {@code chat_template.jinja}).
 * {@link #open} reads the config and the safetensors headers; {@link #loadWeights} reads the tensors.
 *
 * <p>Thread-safety: immutable once opened.
 */
public final class HfCheckpoint {
    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path dir;
    private final ModelConfig config;
    private final HfTokenizerFiles tokenizerFiles;

    private HfCheckpoint(Path dir, ModelConfig config, HfTokenizerFiles tokenizerFiles) {
        this.dir = dir;
        this.config = config;
        this.tokenizerFiles = tokenizerFiles;
    }

    /** Reads the directory's config and tokenizer settings; weights are read by {@link #loadWeights}. */
    public static HfCheckpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory");
        }
        return new HfCheckpoint(dir, HfConfigReader.read(dir), HfTokenizerFiles.read(dir));
    }

    /** The checkpoint's config and every tensor its architecture needs, checked against the config. */
    public static ModelWeights load(Path dir) {
        return open(dir).loadWeights();
    }

    public Path directory() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public Architecture architecture() {
        return config.architecture();
    }

    /** {@code tokenizer.json}, if the directory has one. */
    public Optional<Path> tokenizerJson() {
        Path p = dir.resolve("tokenizer.json");
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** The chat template's source: {@code chat_template.jinja}, else {@code tokenizer_config.json}'s "default". */
    public Optional<String> chatTemplateSource() {
        return Optional.ofNullable(tokenizerFiles.chatTemplate());
    }

    /** The chat template, ready to render with this tokenizer's BOS and EOS strings. */
    public Optional<ChatTemplate> chatTemplate() {
        return chatTemplateSource().map(t -> new ChatTemplate(t, tokenizerFiles.bosToken(), tokenizerFiles.eosToken()));
    }

    /** BOS as a string ({@code tokenizer_config.json}'s {@code bos_token}). */
    public Optional<String> bosToken() {
        return Optional.ofNullable(tokenizerFiles.bosToken());
    }

    /** EOS as a string ({@code tokenizer_config.json}'s {@code eos_token}). */
    public Optional<String> eosToken() {
        return Optional.ofNullable(tokenizerFiles.eosToken());
    }

    /**
     * Reads every tensor the architecture needs, plus the o_proj biases when present. A missing
     * tensor, a missing shard or a wrong shape is a {@link ModelFormatException} naming the tensor
     * and the file.
     */
    public ModelWeights loadWeights() {
        Map<String, Path> weightMap = weightMap();
        Map<Path, SafetensorsFile> open = new LinkedHashMap<>();
        try {
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> need : HfTensorLayout.required(config).entrySet()) {
                tensors.put(need.getKey(), read(need.getKey(), need.getValue(), weightMap, open, true));
            }
            for (Map.Entry<String, long[]> maybe : HfTensorLayout.optional(config).entrySet()) {
                HostTensor t = read(maybe.getKey(), maybe.getValue(), weightMap, open, false);
                if (t != null) {
                    tensors.put(maybe.getKey(), t);
                }
            }
            return new ModelWeights(config, tensors, dir.toString());
        } finally {
            open.values().forEach(SafetensorsFile::close);
        }
    }

    private HostTensor read(String name, long[] shape, Map<String, Path> weightMap,
                            Map<Path, SafetensorsFile> open, boolean required) {
        Path file = weightMap.get(name);
        if (file == null) {
            if (!required) {
                return null;
            }
            throw new ModelFormatException(weightSource() + ": missing tensor '" + name + "' needed by "
                    + config.architecture().huggingFaceName());
        }
        SafetensorsFile st = open.get(file);
        if (st == null) {
            if (!Files.isRegularFile(file)) {
                throw new ModelFormatException(dir.resolve(INDEX_FILE) + ": shard '" + file.getFileName()
                        + "' (holding tensor '" + name + "') does not exist");
            }
            st = SafetensorsFile.open(file);
            open.put(file, st);
        }
        if (!st.contains(name)) {
            throw new ModelFormatException(file + ": missing tensor '" + name + "'"
                    + (file.getFileName().toString().equals(SINGLE_FILE) ? "" : " (listed in " + INDEX_FILE + ")"));
        }
        SafetensorsEntry entry = st.entry(name);
        if (!Arrays.equals(entry.shape(), shape)) {
            throw new ModelFormatException(file + ": tensor '" + name + "' has shape " + Arrays.toString(entry.shape())
                    + ", but config.json implies " + Arrays.toString(shape));
        }
        return st.read(name);
    }

    private String weightSource() {
        Path index = dir.resolve(INDEX_FILE);
        return (Files.isRegularFile(index) ? index : dir.resolve(SINGLE_FILE)).toString();
    }

    /** Tensor name to the file that holds it. */
    private Map<String, Path> weightMap() {
        Path index = dir.resolve(INDEX_FILE);
        Map<String, Path> map = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            HfJson indexJson = HfJson.read(index);
            JsonElement wm = indexJson.get("weight_map");
            if (wm == null || !wm.isJsonObject()) {
                throw new ModelFormatException(index + ": missing 'weight_map' object");
            }
            for (Map.Entry<String, JsonElement> e : ((JsonObject) wm).entrySet()) {
                String shard = indexJson.toString("weight_map." + e.getKey(), e.getValue());
                Path shardPath = dir.resolve(shard).normalize();
                if (!shardPath.startsWith(dir.normalize())) {
                    throw new ModelFormatException(index + ": shard '" + shard + "' lies outside " + dir);
                }
                map.put(e.getKey(), shardPath);
            }
            return map;
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (!Files.isRegularFile(single)) {
            throw new ModelFormatException(dir + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        try (SafetensorsFile st = SafetensorsFile.open(single)) {
            for (String name : st.names()) {
                map.put(name, single);
            }
        }
        return map;
    }

    @Override
    public String toString() {
        return "HfCheckpoint[" + dir + ", " + config + "]";
    }
}
