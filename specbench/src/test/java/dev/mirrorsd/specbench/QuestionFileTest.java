package dev.mirrorsd.specbench;

import dev.mirrorsd.core.testing.SpecBenchQuestions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuestionFileTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        return Files.write(dir.resolve("question.jsonl"), List.of(lines));
    }

    private Path withBadThirdLine() throws IOException {
        return file("{\"question_id\": 1, \"category\": \"qa\", \"turns\": [\"a\"]}",
                "{\"question_id\": 2, \"category\": \"writing\", \"turns\": [\"b\", \"c\"]}",
                "{\"question_id\": 3, \"category\": \"qa\", \"turns\": [\"d\"",
                "{\"question_id\": 4, \"category\": \"rag\", \"turns\": [\"e\"]}");
    }

    @Test
    void shouldStopAtAMalformedLineNamingItsNumber() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuestionFile.read(withBadThirdLine(), QuestionFile.OnError.STOP, w -> { }));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void shouldSkipAMalformedLineWithAWarningNamingItsNumber() throws IOException {
        List<String> warnings = new ArrayList<>();
        List<Question> questions = QuestionFile.read(withBadThirdLine(), QuestionFile.OnError.SKIP, warnings::add);
        assertEquals(List.of(1, 2, 4), questions.stream().map(Question::id).toList());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("line 3"), warnings.get(0));
        assertEquals(2, questions.get(1).turns().size());
    }

    @Test
    void shouldListTheValidCategoriesForAnUnknownOne() throws IOException {
        Path file = file("{\"question_id\": 1, \"category\": \"poetry\", \"turns\": [\"a\"]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuestionFile.read(file));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("poetry")
                && e.getMessage().contains("math_reasoning"), e.getMessage());
    }

    @Test
    void shouldReadEverySpecBenchQuestion() {
        List<Question> questions = QuestionFile.read(SpecBenchQuestions.file());
        assertEquals(480, questions.size());
        assertTrue(questions.stream().filter(q -> q.task().equals("mt_bench")).allMatch(q -> q.turns().size() == 2));
    }
}
