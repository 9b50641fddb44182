package dev.mirrorsd.specbench;

import dev.mirrorsd.core.testing.SpecBenchQuestions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuestionSelectionTest {
    private static final List<Question> ALL = QuestionFile.read(SpecBenchQuestions.file());

    @Test
    void shouldTakeTheLimitFromEveryCategory() {
        List<Question> selected = QuestionSelection.select(ALL, List.of(), 2);
        assertEquals(2 * 13, selected.size());
        assertEquals(16, selected.stream().filter(q -> q.task().equals("mt_bench")).count());
    }

    @Test
    void shouldExpandATaskLabelToItsCategories() {
        List<Question> selected = QuestionSelection.select(ALL, List.of("mt_bench", "rag"), 1);
        assertEquals(9, selected.size());
        assertEquals(80, QuestionSelection.select(ALL, List.of("translation"), 0).size());
    }

    @Test
    void shouldSpreadATaskLimitOverTheTasksCategories() {
        List<Question> selected = QuestionSelection.select(ALL, List.of(), 0, 10);
        assertEquals(6 * 10, selected.size());
        List<Question> mtBench = selected.stream().filter(q -> q.task().equals("mt_bench")).toList();
        assertEquals(10, mtBench.size());
        assertEquals(8, mtBench.stream().map(Question::category).distinct().count());
        assertEquals(10, selected.stream().filter(q -> q.category().equals("rag")).count());
        List<Integer> ids = selected.stream().map(Question::id).toList();
        assertEquals(ids.stream().sorted().toList(), ids, "file order is kept");
    }

    @Test
    void shouldApplyTheCategoryLimitBeforeTheTaskLimit() {
        List<Question> selected = QuestionSelection.select(ALL, List.of("mt_bench", "qa"), 1, 5);
        assertEquals(5 + 1, selected.size());
    }

    @Test
    void shouldSelectSingleCategoriesByName() {
        List<Question> selected = QuestionSelection.select(ALL, List.of("writing", "qa"), 1);
        assertEquals(List.of("writing", "qa"), selected.stream().map(Question::category).toList());
    }

    @Test
    void shouldListValidTasksAndCategoriesForAnUnknownName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuestionSelection.select(ALL, List.of("poetry"), 1));
        assertTrue(e.getMessage().contains("poetry") && e.getMessage().contains("mt_bench")
                && e.getMessage().contains("humanities"), e.getMessage());
    }
}
