package dev.mirrorsd.specbench;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The six tasks Spec-Bench reports, and the question categories each covers. */
public enum SpecBenchTask {
    MT_BENCH("mt_bench", Set.of("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")),
    TRANSLATION("translation", Set.of("translation")),
    SUMMARIZATION("summarization", Set.of("summarization")),
    QA("qa", Set.of("qa")),
    MATH_REASONING("math_reasoning", Set.of("math_reasoning")),
    RAG("rag", Set.of("rag"));

    private final String label;
    private final Set<String> categories;

    SpecBenchTask(String label, Set<String> categories) {
        this.label = label;
        this.categories = categories;
    }

    public String label() {
        return label;
    }

    /** The task of a question category; an unknown one lists the valid categories. */
    public static SpecBenchTask of(String category) {
        for (SpecBenchTask task : values()) {
            if (task.categories.contains(category)) {
                return task;
            }
        }
        throw new IllegalArgumentException("unknown Spec-Bench category '" + category + "'; valid: " + allCategories());
    }

    /** A task by its label or any of its categories. */
    public static SpecBenchTask byName(String name) {
        for (SpecBenchTask task : values()) {
            if (task.label.equals(name)) {
                return task;
            }
        }
        return of(name);
    }

    /** The question categories this task covers. */
    public Set<String> categories() {
        return categories;
    }

    /** Every task's label, in Spec-Bench's order. */
    public static List<String> labels() {
        return Arrays.stream(values()).map(SpecBenchTask::label).toList();
    }

    public static List<String> allCategories() {
        return Arrays.stream(values()).flatMap(t -> t.categories.stream().sorted()).toList();
    }
}
