package dev.mirrorsd.core.format.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.model.ModelFormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a checkpoint directory says about its tokenizer beyond {@code tokenizer.json}: the chat
 * template ({@code chat_template.jinja}, else {@code tokenizer_config.json}'s {@code chat_template},
 * a string or a list of named templates of which "default" is taken) and the BOS/EOS strings.
 *
 * @param chatTemplate the template source, or null
 * @param bosToken     BOS as a string, or null
 * @param eosToken     EOS as a string, or null
 */
record HfTokenizerFiles(String chatTemplate, String bosToken, String eosToken) {

    static HfTokenizerFiles read(Path dir) {
        Path configFile = dir.resolve("tokenizer_config.json");
        HfJson config = Files.isRegularFile(configFile) ? HfJson.read(configFile) : null;
        String template = null;
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                template = Files.readString(jinja, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ModelFormatException(jinja + ": cannot read: " + e.getMessage(), e);
            }
        } else if (config != null && config.has("chat_template")) {
            template = chatTemplate(config, config.get("chat_template"));
        }
        if (config == null) {
            return new HfTokenizerFiles(template, null, null);
        }
        return new HfTokenizerFiles(template, token(configFile, config, "bos_token"), token(configFile, config, "eos_token"));
    }

    private static String chatTemplate(HfJson config, JsonElement e) {
        if (e.isJsonPrimitive()) {
            return config.toString("chat_template", e);
        }
        if (e.isJsonArray()) {
            for (JsonElement named : e.getAsJsonArray()) {
                if (!named.isJsonObject()) {
                    throw new ModelFormatException(config.file() + ": 'chat_template' lists a non-object: " + named);
                }
                JsonObject o = named.getAsJsonObject();
                if (o.has("name") && config.toString("chat_template[].name", o.get("name")).equals("default")) {
                    JsonElement template = o.get("template");
                    if (template == null) {
                        throw new ModelFormatException(config.file() + ": the 'default' chat template has no 'template'");
                    }
                    return config.toString("chat_template[].template", template);
                }
            }
            throw new ModelFormatException(config.file() + ": 'chat_template' lists named templates but none is 'default'");
        }
        throw new ModelFormatException(config.file() + ": 'chat_template' must be a string or a list, got " + e);
    }

    /** A special token written as a string or as an AddedToken object with "content". */
    private static String token(Path file, HfJson config, String key) {
        JsonElement e = config.get(key);
        if (e == null) {
            return null;
        }
        if (e.isJsonPrimitive()) {
            return config.toString(key, e);
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return config.toString(key + ".content", e.getAsJsonObject().get("content"));
        }
        throw new ModelFormatException(file + ": '" + key + "' must be a string or an object with 'content', got " + e);
    }
}
