package dev.mirrorsd.specbench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mirrorsd.specbench.Answers.answer;
import static dev.mirrorsd.specbench.Answers.question;
import static dev.mirrorsd.specbench.Answers.turn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SpeedReportTest {
    private static final double EPS = 1e-9;
    private final Question writing = question(81, "writing", 2);
    private final Question qa = question(201, "qa", 1);
    private final Question qa2 = question(202, "qa", 1);

    private Map<String, List<Answer>> answers() {
        Map<String, List<Answer>> answers = new LinkedHashMap<>();
        answers.put("autoregressive", List.of(
                answer(writing, "autoregressive", turn(10, 1.0, new int[10]), turn(10, 1.0, new int[10])),
                answer(qa, "autoregressive", turn(20, 2.0, 1, 1)),
                answer(qa2, "autoregressive", turn(30, 1.0, 1, 1))));
        answers.put("prompt-lookup", List.of(
                answer(writing, "prompt-lookup", turn(10, 0.5, 2, 3), turn(10, 0.5, 5)),
                answer(qa, "prompt-lookup", turn(20, 1.0, 4, 2)),
                answer(qa2, "prompt-lookup", turn(30, 0.5, 1, 3))));
        return answers;
    }

    private static TaskSpeed row(List<TaskSpeed> rows, String task, String method) {
        return rows.stream().filter(r -> r.task().equals(task) && r.method().equals(method)).findFirst().orElseThrow();
    }

    @Test
    void shouldTakeTokensPerSecondOfAQuestionOverAllItsTurns() {
        Answer a = answer(writing, "m", turn(10, 1.0, 1), turn(30, 3.0, 1));
        assertEquals(10.0, a.tokensPerSecond(), EPS);
    }

    @Test
    void shouldAverageTokensPerSecondOverQuestionsAndDivideByTheBaselines() {
        List<TaskSpeed> rows = SpeedReport.of(answers(), "autoregressive");
        // qa: AR speeds 10 and 30 (mean 20); PLD 20 and 60 (mean 40)
        assertEquals(20.0, row(rows, "qa", "autoregressive").tokensPerSecond(), EPS);
        assertEquals(40.0, row(rows, "qa", "prompt-lookup").tokensPerSecond(), EPS);
        assertEquals(2.0, row(rows, "qa", "prompt-lookup").speedup(), EPS);
        assertEquals(1.0, row(rows, "qa", "autoregressive").speedup(), EPS);
        // overall: AR (10 + 10 + 30) / 3, PLD (20 + 20 + 60) / 3: speedup 2
        assertEquals(50.0 / 3, row(rows, SpeedReport.OVERALL, "autoregressive").tokensPerSecond(), EPS);
        assertEquals(2.0, row(rows, SpeedReport.OVERALL, "prompt-lookup").speedup(), EPS);
    }

    @Test
    void shouldMeanAcceptLengthsOverEveryStepOfTheTask() {
        List<TaskSpeed> rows = SpeedReport.of(answers(), "autoregressive");
        // mt_bench: steps 2, 3, 5 -> 10 / 3; qa: 4, 2, 1, 3 -> 2.5
        assertEquals(10.0 / 3, row(rows, "mt_bench", "prompt-lookup").meanAcceptedTokens(), EPS);
        assertEquals(2.5, row(rows, "qa", "prompt-lookup").meanAcceptedTokens(), EPS);
        assertEquals(20.0 / 7, row(rows, SpeedReport.OVERALL, "prompt-lookup").meanAcceptedTokens(), EPS);
    }

    @Test
    void shouldReportEveryTaskWithQuestionsInSpecBenchOrderThenOverall() {
        List<TaskSpeed> rows = SpeedReport.of(answers(), "autoregressive");
        assertEquals(List.of("mt_bench", "mt_bench", "qa", "qa", "overall", "overall"),
                rows.stream().map(TaskSpeed::task).toList());
        assertEquals(1, row(rows, "mt_bench", "prompt-lookup").questions());
        assertEquals(2, row(rows, "qa", "prompt-lookup").questions());
        assertNull(row(rows, "qa", "prompt-lookup").hitRate());
    }

    @Test
    void shouldCompareSpeedOnlyOnQuestionsBothAnswered() {
        Map<String, List<Answer>> answers = answers();
        answers.put("prompt-lookup", List.of(answer(qa2, "prompt-lookup", turn(30, 0.5, 1))));
        TaskSpeed qaRow = row(SpeedReport.of(answers, "autoregressive"), "qa", "prompt-lookup");
        assertEquals(2.0, qaRow.speedup(), EPS); // 60 over qa2's 30, not over the mean 20
    }

    @Test
    void shouldReadZeroForAnAnswerThatTookNoTime() {
        assertEquals(0.0, answer(qa, "m", turn(0, 0.0)).tokensPerSecond(), EPS);
        assertEquals(0.0, SpeedReport.meanAcceptedTokens(List.of()), EPS);
    }
}
