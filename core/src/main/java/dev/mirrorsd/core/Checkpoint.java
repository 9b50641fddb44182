package dev.mirrorsd.core;

import dev.mirrorsd.core.format.gguf.GgufCheckpoint;
import dev.mirrorsd.core.format.gguf.GgufFile;
import dev.mirrorsd.core.format.gguf.GgufTokenizerJson;
import dev.mirrorsd.core.format.gguf.GgufTokenizers;
import dev.mirrorsd.core.format.hf.HfCheckpoint;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.tokenizer.ChatTemplate;
import dev.mirrorsd.core.tokenizer.HfTokenizer;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.core.weights.ModelWeights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A model as users have it on disk, whatever the format: a GGUF file or a Hugging Face directory.
 * Gives the weights (in the engines' layout), the tokenizer and the chat template.
 */
public final class Checkpoint {
    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private final Path source;
    private final ModelWeights weights;
    private final TextTokenizer tokenizer;
    private final ChatTemplate chatTemplate; // null for models without one

    private Checkpoint(Path source, ModelWeights weights, TextTokenizer tokenizer, ChatTemplate chatTemplate) {
        this.source = source;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
    }

    /**
     * Whether {@code model} names a checkpoint {@link #open} reads, by its names alone (a file ending
     * in .gguf, or a folder with a config.json): what an engine that loads checkpoints accepts.
     */
    public static boolean namesCheckpoint(Path model) {
        return Files.isRegularFile(model) ? model.getFileName().toString().endsWith(".gguf")
                : Files.isRegularFile(model.resolve("config.json"));
    }

    /** Opens a GGUF file or a Hugging Face checkpoint directory; a clear error for anything else. */
    public static Checkpoint open(Path path) {
        if (!Files.exists(path)) {
            throw new ModelFormatException("model not found: " + path.toAbsolutePath());
        }
        if (Files.isDirectory(path)) {
            return openHuggingFace(path);
        }
        if (isGguf(path)) {
            return openGguf(path);
        }
        throw new ModelFormatException(path.toAbsolutePath() + " is neither a GGUF file (no GGUF magic) nor a"
                + " Hugging Face checkpoint directory");
    }

    private static Checkpoint openHuggingFace(Path dir) {
        HfCheckpoint hf = HfCheckpoint.open(dir);
        Path tokenizerJson = hf.tokenizerJson().orElseThrow(() -> new ModelFormatException(
                dir.toAbsolutePath() + ": no tokenizer.json (the runtime needs the fast-tokenizer file)"));
        return new Checkpoint(dir, hf.loadWeights(), HfTokenizer.fromFile(tokenizerJson), hf.chatTemplate().orElse(null));
    }

    private static Checkpoint openGguf(Path file) {
        Map<String, Object> metadata;
        try (GgufFile gguf = GgufFile.open(file)) {
            metadata = gguf.metadata();
        }
        ModelWeights weights = GgufCheckpoint.load(file);
        TextTokenizer tokenizer = GgufTokenizers.open(metadata);
        ChatTemplate template = GgufTokenizerJson.chatTemplate(metadata)
                .map(source -> new ChatTemplate(source, tokenString(tokenizer, metadata, "tokenizer.ggml.bos_token_id"),
                        tokenString(tokenizer, metadata, "tokenizer.ggml.eos_token_id")))
                .orElse(null);
        return new Checkpoint(file, weights, tokenizer, template);
    }

    private static String tokenString(TextTokenizer tokenizer, Map<String, Object> metadata, String key) {
        Object id = metadata.get(key);
        return id instanceof Number ? tokenizer.tokenString(((Number) id).intValue()) : null;
    }

    private static boolean isGguf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), GGUF_MAGIC);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    public Path source() {
        return source;
    }

    public ModelConfig config() {
        return weights.config();
    }

    /** The weights; engines release host copies as they load them, so load one engine per checkpoint. */
    public ModelWeights weights() {
        return weights;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The chat template, or null for a model without one. */
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }
}
