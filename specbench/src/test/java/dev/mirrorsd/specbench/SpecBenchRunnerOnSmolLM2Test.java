package dev.mirrorsd.specbench;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.testing.SpecBenchQuestions;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Generators;
import dev.mirrorsd.pipeline.Strategy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small Spec-Bench run on the default target (SmolLM2-135M-Instruct): one question of each task,
 * the MT-bench one with its two turns, 16 new tokens, autoregressive and prompt lookup. A test of
 * the runner and its files, not of speed.
 */
class SpecBenchRunnerOnSmolLM2Test {
    private static final List<String> ONE_CATEGORY_PER_TASK =
            List.of("writing", "translation", "summarization", "qa", "math_reasoning", "rag");
    private static CausalLM target;
    private static Map<String, List<Answer>> answers;
    private static SpecBenchReport report;
    private static List<Question> questions;
    @TempDir
    static Path output;

    @BeforeAll
    static void run() {
        Checkpoint checkpoint = Checkpoint.open(SmolLM2Target.require());
        target = Engines.load(ModelSource.of(checkpoint.weights()), "pytorch:cpu");
        Map<String, Generator> methods = new LinkedHashMap<>();
        for (Strategy strategy : List.of(Strategy.AUTOREGRESSIVE, Strategy.PROMPT_LOOKUP)) {
            methods.put(strategy.label(), Generators.build(strategy, target, checkpoint.tokenizer(),
                    checkpoint.chatTemplate(), DraftOptions.defaults()));
        }
        questions = QuestionSelection.select(shortestFirst(QuestionFile.read(SpecBenchQuestions.file())),
                ONE_CATEGORY_PER_TASK, 1);
        SpecBenchRunner runner = SpecBenchRunner.greedy(16, 4, 1);
        List<String> progress = new ArrayList<>();
        answers = runner.run(questions, methods, (method, q, done, total) -> progress.add(done + "/" + total));
        assertEquals(12, progress.size());
        RunSettings settings = new RunSettings("SmolLM2-135M-Instruct", "question.jsonl", List.copyOf(methods.keySet()),
                16, 4, 1, 1, 0, ONE_CATEGORY_PER_TASK, RunSettings.thisMachine(), "");
        report = SpecBenchReport.of(settings, answers);
        report.write(output, answers);
        for (Answer a : answers.get("autoregressive")) {
            System.out.printf("question %d (%s): %.2f s%n", a.question().id(), a.question().category(), a.wallTimeSeconds());
        }
    }

    /** Shortest prompts first, so the six questions of this CI run (long RAG and summarization prompts included) stay quick. */
    private static List<Question> shortestFirst(List<Question> all) {
        List<Question> sorted = new ArrayList<>(all);
        sorted.sort(java.util.Comparator.comparingInt(q -> q.turns().stream().mapToInt(String::length).sum()));
        return sorted;
    }

    @AfterAll
    static void close() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void shouldAnswerEveryTurnOfEveryQuestionWithEveryMethod() {
        assertEquals(6, questions.size());
        for (List<Answer> answered : answers.values()) {
            assertEquals(questions, answered.stream().map(Answer::question).toList());
            for (Answer a : answered) {
                assertEquals(a.question().turns().size(), a.turns().size());
                for (TurnAnswer turn : a.turns()) {
                    assertTrue(turn.newTokens() > 0 && turn.newTokens() <= 16);
                    assertEquals(turn.decodingSteps(), turn.acceptLengths().length);
                    assertEquals(turn.newTokens(), java.util.Arrays.stream(turn.acceptLengths()).sum());
                }
            }
        }
        Answer writing = answers.get("autoregressive").stream()
                .filter(a -> a.question().category().equals("writing")).findFirst().orElseThrow();
        assertEquals(2, writing.turns().size()); // MT-bench: the second turn saw the first answer
    }

    @Test
    void shouldMatchAutoregressiveTokensWithPromptLookup() {
        assertTrue(report.equalityPassed(), report.mismatches().toString());
    }

    @Test
    void shouldWriteSpecBenchAnswerLinesPerMethod() throws IOException {
        for (String method : List.of("autoregressive", "prompt-lookup")) {
            List<String> lines = Files.readAllLines(output.resolve(method + ".jsonl"));
            assertEquals(6, lines.size());
            for (int i = 0; i < lines.size(); i++) {
                JsonObject line = JsonParser.parseString(lines.get(i)).getAsJsonObject();
                assertEquals(questions.get(i).id(), line.get("question_id").getAsInt());
                assertEquals(questions.get(i).category(), line.get("category").getAsString());
                assertEquals("SmolLM2-135M-Instruct-" + method, line.get("model_id").getAsString());
                assertTrue(line.has("answer_id") && line.has("tstamp"));
                JsonObject choice = line.getAsJsonArray("choices").get(0).getAsJsonObject();
                int turns = questions.get(i).turns().size();
                for (String key : List.of("turns", "decoding_steps", "new_tokens", "wall_time")) {
                    assertEquals(turns, choice.getAsJsonArray(key).size(), key);
                }
                JsonArray steps = choice.getAsJsonArray("decoding_steps");
                int totalSteps = 0;
                for (int t = 0; t < turns; t++) {
                    totalSteps += steps.get(t).getAsInt();
                }
                assertEquals(totalSteps, choice.getAsJsonArray("accept_lengths").size());
            }
        }
    }

    @Test
    void shouldWriteReportsWithARowPerTaskAndMethod() throws IOException {
        String markdown = Files.readString(output.resolve("report.md"));
        String html = Files.readString(output.resolve("report.html"));
        JsonObject json = JsonParser.parseString(Files.readString(output.resolve("report.json"))).getAsJsonObject();
        List<String> tasks = new ArrayList<>(SpecBenchTask.labels());
        tasks.add("overall");
        for (String task : tasks) {
            for (String method : List.of("autoregressive", "prompt-lookup")) {
                assertTrue(markdown.contains("| " + task + " | " + method + " | "), task + " " + method);
                assertTrue(html.contains("<tr><td>" + task + "</td><td>" + method + "</td>"), task + " " + method);
            }
        }
        assertEquals(tasks.size() * 2, json.getAsJsonArray("rows").size());
        assertTrue(json.getAsJsonObject("equality").get("passed").getAsBoolean());
        assertEquals(16, json.getAsJsonObject("settings").get("max_new_tokens").getAsInt());
        assertTrue(markdown.contains("max new tokens 16 (Spec-Bench: 1024)"));
        assertTrue(markdown.contains("Greedy equality with autoregressive decoding: passed"));
        assertTrue(html.contains("<svg") && !html.contains("<script"));
        TaskSpeed overall = report.rows().stream()
                .filter(r -> r.task().equals("overall") && r.method().equals("autoregressive")).findFirst().orElseThrow();
        assertEquals(1.0, overall.speedup(), 1e-9);
        assertEquals(1.0, overall.meanAcceptedTokens(), 1e-9);
    }
}
