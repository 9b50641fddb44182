package dev.mirrorsd.specbench;

import java.util.List;

/**
 * One Spec-Bench question.
 *
 * @param id       {@code question_id}
 * @param category the file's category ("writing", "translation", ...)
 * @param turns    user turns; MT-bench questions have two, the second sees the first answer
 */
public record Question(int id, String category, List<String> turns) {

    public Question {
        turns = List.copyOf(turns);
    }

    /** Spec-Bench's task: the eight MT-bench categories report together as "mt_bench". */
    public String task() {
        return SpecBenchTask.of(category).label();
    }
}
