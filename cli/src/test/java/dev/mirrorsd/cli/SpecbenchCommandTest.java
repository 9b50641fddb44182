package dev.mirrorsd.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input to {@code mirror-sd specbench} is refused with one clear line before any model loads. */
class SpecbenchCommandTest {
    @TempDir
    Path dir;

    private Path questions() throws IOException {
        return Files.write(dir.resolve("question.jsonl"), List.of(
                "{\"question_id\": 1, \"category\": \"qa\", \"turns\": [\"a\"]}",
                "not json"));
    }

    /** Exit status and stderr of one run. */
    private static Object[] run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void shouldListTheValidMethodsForAnUnknownOne() throws IOException {
        Object[] result = run("specbench", "--questions", questions().toString(), "--methods", "medusa",
                "--target", dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        String err = (String) result[1];
        assertTrue(err.contains("medusa") && err.contains("prompt-lookup") && err.contains("early-exit"), err);
    }

    @Test
    void shouldStopAtAMalformedQuestionLineNamingIt() throws IOException {
        Object[] result = run("specbench", "--questions", questions().toString(), "--target",
                dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        assertTrue(((String) result[1]).contains("line 2"), (String) result[1]);
    }

    @Test
    void shouldSkipAMalformedLineWhenAskedAndGoOnToTheModel() throws IOException {
        Object[] result = run("specbench", "--questions", questions().toString(), "--on-error", "skip",
                "--target", dir.resolve("none.gguf").toString());
        // past the questions: the missing target is the next error
        String err = (String) result[1];
        assertTrue(!err.contains("line 2") && err.contains("none.gguf"), err);
    }

    @Test
    void shouldListTheValidTasksAndCategoriesForAnUnknownOne() throws IOException {
        Object[] result = run("specbench", "--questions", questions().toString(), "--categories", "poetry",
                "--target", dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        String err = (String) result[1];
        assertTrue(err.contains("poetry") && err.contains("mt_bench") && err.contains("humanities"), err);
    }

    @Test
    void shouldRefuseAPeerDirectoryWithoutPeerJsonBeforeLoadingAModel() throws IOException {
        Object[] result = run("specbench", "--questions", questions().toString(), "--on-error", "skip",
                "--peer", dir.toString(), "--target", dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        String err = (String) result[1];
        assertTrue(err.contains("peer.json") && !err.contains("none.gguf"), err);
    }

    @Test
    void shouldPutTheBaselineFirstAndNotTwice() {
        assertEquals(List.of("autoregressive", "prompt-lookup"), SpecbenchCommand.strategies(
                List.of("prompt-lookup", "autoregressive")).stream().map(s -> s.label()).toList());
    }
}
