package dev.mirrorsd.specbench;

import java.util.Locale;

/** The Spec-Bench table as Markdown: settings, one row per task and method, then the equality check. */
public final class ReportMarkdown {
    private ReportMarkdown() {
    }

    public static String render(SpecBenchReport report) {
        RunSettings s = report.settings();
        StringBuilder md = new StringBuilder();
        md.append("# Spec-Bench: ").append(s.model()).append("\n\n");
        md.append(settingsLines(s)).append('\n');
        md.append("| task | method | questions | mean accepted tokens | tokens/s | speedup | hit rate |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (TaskSpeed row : report.rows()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.2f | %.2fx | %s |%n", row.task(),
                    row.method(), row.questions(), row.meanAcceptedTokens(), row.tokensPerSecond(), row.speedup(),
                    hitRate(row)));
        }
        md.append('\n').append(equalityLine(report)).append('\n');
        for (GreedyEquality.Mismatch m : report.mismatches()) {
            md.append("- ").append(m).append('\n');
        }
        return md.toString();
    }

    static String settingsLines(RunSettings s) {
        StringBuilder md = new StringBuilder();
        md.append("- protocol: greedy, batch 1, max new tokens ").append(s.maxNewTokens())
                .append(s.maxNewTokens() == SpecBenchRunner.DEFAULT_MAX_NEW_TOKENS ? "" : " (Spec-Bench: 1024)")
                .append(", ").append(s.warmups()).append(" warm-up runs, gamma ").append(s.gamma()).append('\n');
        md.append("- questions: ").append(s.questionFile())
                .append(s.limitPerCategory() > 0 ? ", at most " + s.limitPerCategory() + " per category" : ", all")
                .append(s.categories().isEmpty() ? "" : ", categories " + String.join(",", s.categories())).append('\n');
        md.append("- methods: ").append(String.join(", ", s.methods())).append('\n');
        md.append("- machine: ").append(s.machine()).append('\n');
        if (!s.command().isEmpty()) {
            md.append("- command: `").append(s.command()).append("`\n");
        }
        return md.toString();
    }

    static String equalityLine(SpecBenchReport report) {
        return report.equalityPassed()
                ? "Greedy equality with autoregressive decoding: passed (every method's tokens equal, every turn)."
                : "Greedy equality with autoregressive decoding: FAILED, " + report.mismatches().size() + " turn(s) differ:";
    }

    static String hitRate(TaskSpeed row) {
        return row.hitRate() == null ? "-" : String.format(Locale.ROOT, "%.2f", row.hitRate());
    }
}
