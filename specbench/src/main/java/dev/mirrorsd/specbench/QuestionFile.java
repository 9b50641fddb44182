package dev.mirrorsd.specbench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads Spec-Bench's {@code question.jsonl}: one JSON object a line with {@code question_id},
 * {@code category} and {@code turns}. The public file is data/spec_bench/question.jsonl of the
 * hemingkx/Spec-Bench repository on GitHub.
 */
public final class QuestionFile {
    private QuestionFile() {
    }

    /** What to do with a malformed line. */
    public enum OnError {
        /** Stop with an error naming the line. */
        STOP,
        /** Report it to the warning sink and go on. */
        SKIP
    }

    /**
     * Where the commands look when no file is named: {@code $MIRRORSD_QUESTIONS}, else
     * {@code ../shared/specbench/question.jsonl} beside the installation ({@code $MIRRORSD_HOME}).
     */
    public static Path defaultPath() {
        String env = System.getenv("MIRRORSD_QUESTIONS");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String home = System.getenv().getOrDefault("MIRRORSD_HOME", ".");
        return Path.of(home, "..", "shared", "specbench", "question.jsonl").normalize();
    }

    public static List<Question> read(Path file) {
        return read(file, OnError.STOP, message -> { });
    }

    public static List<Question> read(Path file, OnError onError, Consumer<String> warnings) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("question file not found: " + file.toAbsolutePath());
        }
        List<Question> questions = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    questions.add(parse(line));
                } catch (RuntimeException e) {
                    String message = file.getFileName() + " line " + number + ": " + e.getMessage();
                    if (onError == OnError.STOP) {
                        throw new IllegalArgumentException(message, e);
                    }
                    warnings.accept(message + " (skipped)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return questions;
    }

    static Question parse(String line) {
        JsonElement element;
        try {
            element = JsonParser.parseString(line);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not valid JSON");
        }
        if (!element.isJsonObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonObject object = element.getAsJsonObject();
        if (!object.has("question_id") || !object.has("category") || !object.has("turns")
                || !object.get("turns").isJsonArray()) {
            throw new IllegalArgumentException("needs question_id, category and a turns array");
        }
        String category = object.get("category").getAsString();
        SpecBenchTask.of(category); // unknown categories are an error here, not later
        JsonArray turnsJson = object.getAsJsonArray("turns");
        List<String> turns = new ArrayList<>();
        for (JsonElement turn : turnsJson) {
            turns.add(turn.getAsString());
        }
        if (turns.isEmpty()) {
            throw new IllegalArgumentException("turns is empty");
        }
        return new Question(object.get("question_id").getAsInt(), category, turns);
    }
}
