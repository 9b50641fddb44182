package dev.mirrorsd.specbench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Spec-Bench's quick-run filters: {@code --categories} (task labels or categories), {@code --limit} per category
 * and {@code --task-limit} per task.
 */
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
        return select(all, names, limitPerCategory, 0);
    }

    /**
     * As {@link #select(List, List, int)}, then at most {@code limitPerTask} of each task (all when it is 0 or
     * less), taken round-robin over the task's categories so that mt_bench's eight categories share its quota
     * (10 gives two each of writing and roleplay and one of each other category); the result keeps file order.
     */
    public static List<Question> select(List<Question> all, List<String> names, int limitPerCategory, int limitPerTask) {
        List<Question> perCategory = selectPerCategory(all, names, limitPerCategory);
        if (limitPerTask <= 0) {
            return perCategory;
        }
        Map<String, Map<String, List<Question>>> byTaskAndCategory = new LinkedHashMap<>();
        for (Question q : perCategory) {
            byTaskAndCategory.computeIfAbsent(q.task(), t -> new LinkedHashMap<>())
                    .computeIfAbsent(q.category(), c -> new ArrayList<>()).add(q);
        }
        Set<Integer> kept = new HashSet<>();
        for (Map<String, List<Question>> byCategory : byTaskAndCategory.values()) {
            // one question of every category per round, until the task's quota is full
            List<Question> picks = new ArrayList<>();
            int rounds = byCategory.values().stream().mapToInt(List::size).max().orElse(0);
            for (int round = 0; round < rounds; round++) {
                for (List<Question> questions : byCategory.values()) {
                    if (round < questions.size()) {
                        picks.add(questions.get(round));
                    }
                }
            }
            picks.stream().limit(limitPerTask).forEach(q -> kept.add(q.id()));
        }
        return perCategory.stream().filter(q -> kept.contains(q.id())).toList();
    }

    private static List<Question> selectPerCategory(List<Question> all, List<String> names, int limitPerCategory) {
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
