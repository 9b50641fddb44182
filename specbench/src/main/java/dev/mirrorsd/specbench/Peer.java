package dev.mirrorsd.specbench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Another system's Spec-Bench answers on the same questions (tools/peers writes Hugging Face
 * transformers' and llama.cpp's), read from a directory: {@code peer.json} names the peer and pairs each of its
 * methods with ours ({@code "methods": {"hf-assisted": "draft", ...}}), and {@code <method>.jsonl}
 * holds each method's answers in Spec-Bench's shape.
 *
 * @param name        e.g. "Hugging Face transformers 5.24.0"
 * @param description how it was run, for the report: its peer.json's machine, threads ({@code threads}, or
 *                    {@code torch_threads} for transformers), max new tokens, gamma and command
 * @param ours        each peer method's counterpart among our methods, in peer.json's order
 * @param answers     each peer method's answers
 */
public record Peer(String name, String description, Map<String, String> ours, Map<String, List<Answer>> answers) {

    public Peer {
        ours = Map.copyOf(ours);
        answers = Map.copyOf(answers);
    }

    /** @throws IllegalArgumentException when peer.json or an answer file is missing or malformed */
    public static Peer read(Path directory) {
        Path config = directory.resolve("peer.json");
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("no peer.json in peer directory " + directory
                    + " (tools/peers/hf_peers.py and llamacpp_peers.py write one)");
        }
        try {
            JsonObject json = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8)).getAsJsonObject();
            Map<String, String> ours = new LinkedHashMap<>();
            Map<String, List<Answer>> answers = new LinkedHashMap<>();
            for (Map.Entry<String, com.google.gson.JsonElement> method : json.getAsJsonObject("methods").entrySet()) {
                Path file = directory.resolve(method.getKey() + ".jsonl");
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("peer method '" + method.getKey() + "' has no answers: " + file);
                }
                ours.put(method.getKey(), method.getValue().getAsString());
                answers.put(method.getKey(), AnswerFile.read(file, method.getKey()));
            }
            String description = String.join("; ", List.of(
                    "machine " + string(json, "machine"),
                    json.has("threads") ? "threads " + string(json, "threads")
                            : "torch threads " + string(json, "torch_threads"),
                    "max new tokens " + string(json, "max_new_tokens"),
                    "gamma " + string(json, "num_assistant_tokens"),
                    "command `" + string(json, "command") + "`"));
            return new Peer(string(json, "peer"), description, ours, answers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read peer directory " + directory, e);
        } catch (IllegalStateException | NullPointerException | ClassCastException e) {
            throw new IllegalArgumentException(config + " is malformed: " + e.getMessage(), e);
        }
    }

    private static String string(JsonObject json, String key) {
        return json.has(key) && !json.get(key).isJsonNull() ? json.get(key).getAsString() : "?";
    }
}
