package dev.mirrorsd.specbench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Answers in Spec-Bench's own JSONL shape (its evaluation/eval.py), one line a question, so its
 * speed.py reads them: {@code question_id}, {@code category}, {@code answer_id}, {@code model_id},
 * {@code choices} = [{index 0, turns, decoding_steps, new_tokens, wall_time, accept_lengths}],
 * {@code tstamp}. As in Spec-Bench, {@code accept_lengths} is one flat list over the question's
 * turns; {@code accept_lengths_per_turn} and {@code token_ids} (per turn) are this project's additions.
 */
public final class AnswerFile {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private AnswerFile() {
    }

    /** {@code <modelName>-<method>}, as Spec-Bench names a model_id. */
    public static String modelId(String modelName, String method) {
        return modelName + "-" + method;
    }

    public static void write(Path file, String modelName, List<Answer> answers) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Answer answer : answers) {
                out.write(GSON.toJson(line(answer, modelName)));
                out.newLine();
            }
        }
    }

    /**
     * Reads an answer file of this shape (ours, or a peer's such as tools/peers writes) as answers of
     * {@code method}. Questions carry their id and category only. A file without
     * {@code accept_lengths_per_turn} gives the flat {@code accept_lengths} to the first turn, and one
     * without {@code token_ids} empty token ids.
     *
     * @throws IllegalArgumentException for a malformed line, naming the file and line number
     */
    public static List<Answer> read(Path file, String method) throws IOException {
        List<Answer> answers = new ArrayList<>();
        int number = 0;
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            number++;
            if (text.isBlank()) {
                continue;
            }
            try {
                answers.add(answer(JsonParser.parseString(text).getAsJsonObject(), method));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + " line " + number + ": not a Spec-Bench answer (" + e.getMessage()
                        + ")", e);
            }
        }
        return answers;
    }

    private static Answer answer(JsonObject json, String method) {
        Question question = new Question(json.get("question_id").getAsInt(), json.get("category").getAsString(), List.of());
        JsonObject choice = json.getAsJsonArray("choices").get(0).getAsJsonObject();
        JsonArray texts = choice.getAsJsonArray("turns");
        JsonArray perTurn = choice.has("accept_lengths_per_turn") ? choice.getAsJsonArray("accept_lengths_per_turn") : null;
        JsonArray ids = choice.has("token_ids") ? choice.getAsJsonArray("token_ids") : null;
        List<TurnAnswer> turns = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) {
            int[] acceptLengths = perTurn != null ? ints(perTurn.get(t).getAsJsonArray())
                    : t == 0 ? ints(choice.getAsJsonArray("accept_lengths")) : new int[0];
            turns.add(new TurnAnswer(texts.get(t).getAsString(), ids != null ? ints(ids.get(t).getAsJsonArray()) : new int[0],
                    choice.getAsJsonArray("decoding_steps").get(t).getAsInt(),
                    choice.getAsJsonArray("new_tokens").get(t).getAsInt(),
                    choice.getAsJsonArray("wall_time").get(t).getAsDouble(), acceptLengths));
        }
        return new Answer(question, method, turns);
    }

    private static int[] ints(JsonArray array) {
        int[] values = new int[array.size()];
        int i = 0;
        for (JsonElement e : array) {
            values[i++] = e.getAsInt();
        }
        return values;
    }

    static JsonObject line(Answer answer, String modelName) {
        String modelId = modelId(modelName, answer.method());
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        JsonArray turns = new JsonArray();
        JsonArray steps = new JsonArray();
        JsonArray newTokens = new JsonArray();
        JsonArray wallTime = new JsonArray();
        JsonArray acceptLengths = new JsonArray();
        JsonArray acceptLengthsPerTurn = new JsonArray();
        JsonArray tokenIds = new JsonArray();
        JsonArray mirrorRounds = new JsonArray();
        JsonArray mirrorHits = new JsonArray();
        for (TurnAnswer turn : answer.turns()) {
            if (turn.mirror() != null) {
                mirrorRounds.add(turn.mirror().rounds());
                mirrorHits.add(turn.mirror().hits());
            }
            turns.add(turn.text());
            steps.add(turn.decodingSteps());
            newTokens.add(turn.newTokens());
            wallTime.add(turn.wallTimeSeconds());
            JsonArray perTurn = new JsonArray();
            for (int length : turn.acceptLengths()) {
                acceptLengths.add(length);
                perTurn.add(length);
            }
            acceptLengthsPerTurn.add(perTurn);
            JsonArray ids = new JsonArray();
            for (int id : turn.tokenIds()) {
                ids.add(id);
            }
            tokenIds.add(ids);
        }
        choice.add("turns", turns);
        choice.add("decoding_steps", steps);
        choice.add("new_tokens", newTokens);
        choice.add("wall_time", wallTime);
        choice.add("accept_lengths", acceptLengths);
        choice.add("accept_lengths_per_turn", acceptLengthsPerTurn);
        choice.add("token_ids", tokenIds);
        if (!mirrorRounds.isEmpty()) {
            // Mirror-SD, per turn: rounds with an early-exit message, and those whose verdict it foresaw
            choice.add("mirror_rounds", mirrorRounds);
            choice.add("mirror_hits", mirrorHits);
        }
        JsonArray choices = new JsonArray();
        choices.add(choice);
        JsonObject json = new JsonObject();
        json.addProperty("question_id", answer.question().id());
        json.addProperty("category", answer.question().category());
        // stable across runs: the same question answered by the same model and method
        json.addProperty("answer_id", UUID.nameUUIDFromBytes((modelId + "/" + answer.question().id())
                .getBytes(StandardCharsets.UTF_8)).toString().replace("-", ""));
        json.addProperty("model_id", modelId);
        json.add("choices", choices);
        json.addProperty("tstamp", System.currentTimeMillis() / 1000.0);
        return json;
    }
}
