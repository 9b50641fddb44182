package dev.mirrorsd.specbench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Spec-Bench's equal.py, on token ids: under greedy decoding every method must emit exactly the
 * baseline's tokens, turn by turn. Any difference is a failure of the method, not noise.
 */
public final class GreedyEquality {
    private GreedyEquality() {
    }

    /**
     * One turn where a method's tokens differ from the baseline's.
     *
     * @param firstDifference index of the first differing token (or the shorter length), -1 if the
     *                        turn or question is missing altogether
     */
    public record Mismatch(String method, int questionId, int turn, int firstDifference, String detail) {
        @Override
        public String toString() {
            return method + " question " + questionId + " turn " + turn + ": " + detail;
        }
    }

    /** Mismatches of every method against {@code baseline}'s answers; empty when all agree. */
    public static List<Mismatch> check(Map<String, List<Answer>> answers, String baseline) {
        List<Answer> reference = answers.get(baseline);
        if (reference == null) {
            throw new IllegalArgumentException("no answers of the baseline '" + baseline + "'");
        }
        List<Mismatch> mismatches = new ArrayList<>();
        for (Map.Entry<String, List<Answer>> method : answers.entrySet()) {
            if (!method.getKey().equals(baseline)) {
                mismatches.addAll(compare(reference, method.getValue(), method.getKey()));
            }
        }
        return mismatches;
    }

    static List<Mismatch> compare(List<Answer> reference, List<Answer> candidate, String method) {
        Map<Integer, Answer> byId = new HashMap<>();
        for (Answer a : candidate) {
            byId.put(a.question().id(), a);
        }
        List<Mismatch> mismatches = new ArrayList<>();
        for (Answer expected : reference) {
            int id = expected.question().id();
            Answer actual = byId.get(id);
            if (actual == null) {
                mismatches.add(new Mismatch(method, id, 0, -1, "no answer"));
                continue;
            }
            for (int t = 0; t < expected.turns().size(); t++) {
                if (t >= actual.turns().size()) {
                    mismatches.add(new Mismatch(method, id, t + 1, -1, "turn missing"));
                    continue;
                }
                int[] want = expected.turns().get(t).tokenIds();
                int[] got = actual.turns().get(t).tokenIds();
                int at = Arrays.mismatch(want, got);
                if (at >= 0) {
                    mismatches.add(new Mismatch(method, id, t + 1, at, String.format(
                            "token %d differs: expected %s, got %s (lengths %d and %d)", at,
                            at < want.length ? Integer.toString(want[at]) : "end", at < got.length
                                    ? Integer.toString(got[at]) : "end", want.length, got.length)));
                }
            }
        }
        return mismatches;
    }
}
