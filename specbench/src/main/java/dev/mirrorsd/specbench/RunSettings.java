package dev.mirrorsd.specbench;

import java.util.List;

/**
 * How a Spec-Bench run was made, printed at the head of every report so a table can be reproduced.
 *
 * @param model            the target's name
 * @param questionFile     the question file read
 * @param methods          methods run, the baseline first
 * @param maxNewTokens     token budget per turn (Spec-Bench: 1024)
 * @param gamma            draft tokens per round for the speculative methods
 * @param warmups          unmeasured runs of the first question per method (Spec-Bench: 3)
 * @param limitPerCategory questions per category, 0 = all
 * @param limitPerTask     questions per task (round-robin over its categories), 0 = all
 * @param categories       the task or category filter, empty = all
 * @param machine          where it ran (cores, JVM)
 * @param command          the command line that made it, or empty
 */
public record RunSettings(String model, String questionFile, List<String> methods, int maxNewTokens, int gamma,
                          int warmups, int limitPerCategory, int limitPerTask, List<String> categories, String machine, String command) {

    public RunSettings {
        methods = List.copyOf(methods);
        categories = List.copyOf(categories);
    }

    /** This JVM's machine: available cores, OS and Java version. */
    public static String thisMachine() {
        return Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }
}
