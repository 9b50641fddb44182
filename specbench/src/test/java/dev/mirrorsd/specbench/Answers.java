package dev.mirrorsd.specbench;

import java.util.List;

/** Hand-made answers for the report and equality tests. */
final class Answers {
    private Answers() {
    }

    static Question question(int id, String category, int turns) {
        return new Question(id, category, java.util.Collections.nCopies(turns, "q" + id));
    }

    /** One turn of {@code newTokens} tokens (ids 0..n-1) taking {@code seconds}, with these accept lengths. */
    static TurnAnswer turn(int newTokens, double seconds, int... acceptLengths) {
        int[] ids = new int[newTokens];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        return new TurnAnswer("text", ids, acceptLengths.length, newTokens, seconds, acceptLengths);
    }

    static TurnAnswer turnWithIds(int... ids) {
        int[] ones = new int[ids.length];
        java.util.Arrays.fill(ones, 1);
        return new TurnAnswer("text", ids, ids.length, ids.length, 1.0, ones);
    }

    static Answer answer(Question q, String method, TurnAnswer... turns) {
        return new Answer(q, method, List.of(turns));
    }
}
