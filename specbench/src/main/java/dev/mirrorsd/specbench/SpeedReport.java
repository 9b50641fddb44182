package dev.mirrorsd.specbench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Spec-Bench's speed.py, per task and overall: for each question, tokens/s = new tokens of all its
 * turns / their summed wall time; a method's tokens/s is the mean over questions; its speedup is
 * that mean over the baseline's mean on the same questions; tau is the mean accept length over
 * every decoding step.
 *
 * <p>One difference: new tokens are each turn's {@code new_tokens}, the tokens the engine produced,
 * for the baseline as for every method. Spec-Bench's speed.py counts the baseline's tokens by
 * re-tokenizing its answer text and subtracting one per turn (Vicuna's start token), which adds the
 * tokenizer's round trip (decoded text need not encode back to the same number of tokens) and, with
 * a tokenizer that adds no start token, drops a real one; on the same answer files it reports
 * speedups 1-8% higher than this class. See docs/guide/specbench.md.
 */
public final class SpeedReport {
    /** The task label of the all-questions rows. */
    public static final String OVERALL = "overall";

    private SpeedReport() {
    }

    /** Rows per task (Spec-Bench's order, tasks with questions only) then overall, each per method in the map's order. */
    public static List<TaskSpeed> of(Map<String, List<Answer>> answers, String baseline) {
        List<Answer> reference = answers.get(baseline);
        if (reference == null) {
            throw new IllegalArgumentException("no answers of the baseline '" + baseline + "'");
        }
        List<TaskSpeed> rows = new ArrayList<>();
        for (SpecBenchTask task : SpecBenchTask.values()) {
            if (reference.stream().anyMatch(a -> a.question().task().equals(task.label()))) {
                rows.addAll(rows(task.label(), answers, baseline, a -> a.question().task().equals(task.label())));
            }
        }
        rows.addAll(rows(OVERALL, answers, baseline, a -> true));
        return rows;
    }

    private static List<TaskSpeed> rows(String task, Map<String, List<Answer>> answers, String baseline,
                                        Predicate<Answer> inTask) {
        Map<Integer, Answer> reference = new HashMap<>();
        for (Answer a : answers.get(baseline)) {
            if (inTask.test(a)) {
                reference.put(a.question().id(), a);
            }
        }
        List<TaskSpeed> rows = new ArrayList<>();
        for (Map.Entry<String, List<Answer>> method : answers.entrySet()) {
            List<Answer> mine = method.getValue().stream().filter(inTask).toList();
            rows.add(row(task, method.getKey(), mine, reference));
        }
        return rows;
    }

    static TaskSpeed row(String task, String method, List<Answer> answers, Map<Integer, Answer> baseline) {
        Set<Integer> shared = answers.stream().map(a -> a.question().id()).filter(baseline::containsKey)
                .collect(Collectors.toSet());
        double mine = meanTokensPerSecond(answers.stream().filter(a -> shared.contains(a.question().id())).toList());
        double theirs = meanTokensPerSecond(baseline.values().stream()
                .filter(a -> shared.contains(a.question().id())).toList());
        return new TaskSpeed(task, method, answers.size(), meanAcceptedTokens(answers), meanTokensPerSecond(answers),
                theirs == 0 ? 0 : mine / theirs, hitRate(answers));
    }

    /** Mirror-SD's early-exit hits over its rounds, over every turn; null for a method without them. */
    static Double hitRate(List<Answer> answers) {
        long rounds = 0;
        long hits = 0;
        boolean mirrored = false;
        for (Answer a : answers) {
            for (TurnAnswer turn : a.turns()) {
                if (turn.mirror() != null) {
                    mirrored = true;
                    rounds += turn.mirror().rounds();
                    hits += turn.mirror().hits();
                }
            }
        }
        return !mirrored ? null : rounds == 0 ? 0.0 : (double) hits / rounds;
    }

    /** Mean over questions of each question's tokens/s; 0 for none. */
    public static double meanTokensPerSecond(List<Answer> answers) {
        return answers.stream().mapToDouble(Answer::tokensPerSecond).average().orElse(0);
    }

    /** Tau: mean accept length over every decoding step of every turn; 0 for no steps. */
    public static double meanAcceptedTokens(List<Answer> answers) {
        long steps = 0;
        long tokens = 0;
        for (Answer a : answers) {
            for (TurnAnswer turn : a.turns()) {
                for (int length : turn.acceptLengths()) {
                    steps++;
                    tokens += length;
                }
            }
        }
        return steps == 0 ? 0 : (double) tokens / steps;
    }
}
