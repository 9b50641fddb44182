package dev.mirrorsd.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Spec-Bench's question file at ../shared/specbench/ beside the repository (or a worktree's parents); fails if absent. */
public final class SpecBenchQuestions {
    private SpecBenchQuestions() {
    }

    public static Path file() {
        Path start = Path.of(System.getProperty("mirrorsd.repo", ".")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("specbench").resolve("question.jsonl");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return fail("Spec-Bench's question.jsonl not found in shared/specbench/ beside " + start
                + " or its parents (data/spec_bench/question.jsonl of github.com/hemingkx/Spec-Bench)");
    }
}
