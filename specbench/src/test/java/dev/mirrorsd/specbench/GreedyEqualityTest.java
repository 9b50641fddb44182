package dev.mirrorsd.specbench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mirrorsd.specbench.Answers.answer;
import static dev.mirrorsd.specbench.Answers.question;
import static dev.mirrorsd.specbench.Answers.turnWithIds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GreedyEqualityTest {
    private final Question mt = question(81, "writing", 2);
    private final Question qa = question(201, "qa", 1);

    private Map<String, List<Answer>> withCandidate(List<Answer> candidate) {
        Map<String, List<Answer>> answers = new LinkedHashMap<>();
        answers.put("autoregressive", List.of(answer(mt, "autoregressive", turnWithIds(1, 2, 3), turnWithIds(4, 5)),
                answer(qa, "autoregressive", turnWithIds(7, 8, 9))));
        answers.put("prompt-lookup", candidate);
        return answers;
    }

    @Test
    void shouldPassWhenEveryTurnHasTheBaselinesTokens() {
        List<GreedyEquality.Mismatch> mismatches = GreedyEquality.check(withCandidate(List.of(
                answer(mt, "prompt-lookup", turnWithIds(1, 2, 3), turnWithIds(4, 5)),
                answer(qa, "prompt-lookup", turnWithIds(7, 8, 9)))), "autoregressive");
        assertTrue(mismatches.isEmpty(), mismatches.toString());
    }

    @Test
    void shouldFlagADifferentTokenInTheSecondTurn() {
        List<GreedyEquality.Mismatch> mismatches = GreedyEquality.check(withCandidate(List.of(
                answer(mt, "prompt-lookup", turnWithIds(1, 2, 3), turnWithIds(4, 6)),
                answer(qa, "prompt-lookup", turnWithIds(7, 8, 9)))), "autoregressive");
        assertEquals(1, mismatches.size());
        GreedyEquality.Mismatch m = mismatches.get(0);
        assertEquals("prompt-lookup", m.method());
        assertEquals(81, m.questionId());
        assertEquals(2, m.turn());
        assertEquals(1, m.firstDifference());
    }

    @Test
    void shouldFlagAShorterOutputAndAMissingAnswer() {
        List<GreedyEquality.Mismatch> mismatches = GreedyEquality.check(withCandidate(List.of(
                answer(mt, "prompt-lookup", turnWithIds(1, 2), turnWithIds(4, 5)))), "autoregressive");
        assertEquals(2, mismatches.size());
        assertEquals(2, mismatches.get(0).firstDifference());
        assertEquals(201, mismatches.get(1).questionId());
        assertEquals(-1, mismatches.get(1).firstDifference());
    }

    @Test
    void shouldRefuseAReportWithoutTheBaseline() {
        assertThrows(IllegalArgumentException.class, () -> GreedyEquality.check(Map.of("prompt-lookup", List.of()),
                "autoregressive"));
    }
}
