package dev.mirrorsd.specbench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Spec-Bench's quick-run filters: {@code --categories} (task labels or categories) and {@code --limit} per category. */
public final class QuestionSelection {
    private QuestionSelection() {
    }

    /**
     * The questions of the named tasks or categories (all when {@code names} is empty), at most
     * {@code limitPerCategory} of each category in file order (all when it is 0 or less).
     *
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    public static List<Question> select(List<Question> all, List<String> names, int limitPerCategory) {
        Set<String> categories = categories(names);
        Map<String, Integer> taken = new HashMap<>();
        List<Question> selected = new ArrayList<>();
        for (Question q : all) {
            if (!categories.isEmpty() && !categories.contains(q.category())) {
                continue;
            }
            int count = taken.merge(q.category(), 1, Integer::sum);
            if (limitPerCategory <= 0 || count <= limitPerCategory) {
                selected.add(q);
            }
        }
        return selected;
    }

    /**
     * The categories the names cover; empty for no names (no filter).
     *
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    public static Set<String> categories(List<String> names) {
        Set<String> categories = new LinkedHashSet<>();
        for (String raw : names) {
            String name = raw.trim();
            if (name.isEmpty()) {
                continue;
            }
            SpecBenchTask task = task(name);
            if (task.label().equals(name)) {
                categories.addAll(task.categories());
            } else {
                categories.add(name);
            }
        }
        return categories;
    }

    private static SpecBenchTask task(String name) {
        try {
            return SpecBenchTask.byName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown Spec-Bench task or category '" + name + "'; valid tasks: "
                    + SpecBenchTask.labels() + "; valid categories: " + SpecBenchTask.allCategories());
        }
    }
}
