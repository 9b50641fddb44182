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
        if (report.peer() != null) {
            md.append('\n').append(peer(report.peer()));
        }
        return md.toString();
    }

    /** Our methods beside the peer's, per task: tokens/s, their ratio, mean accepted tokens. */
    static String peer(PeerComparison peer) {
        StringBuilder md = new StringBuilder();
        md.append("## Beside the peer: ").append(peer.peer()).append("\n\n");
        md.append("- peer: ").append(peer.description()).append('\n');
        md.append("- ").append(peerEqualityLine(peer)).append('\n');
        if (!peer.unpaired().isEmpty()) {
            md.append("- not compared (their counterpart was not run): ").append(String.join(", ", peer.unpaired()))
                    .append('\n');
        }
        md.append("\n| task | ours | peer | questions | ours tokens/s | peer tokens/s | ours / peer |"
                + " ours mean accepted tokens | peer mean accepted tokens |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        for (PeerComparison.Row row : peer.rows()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.2f | %.2f | %.2fx | %.2f | %.2f |%n",
                    row.task(), row.ourMethod(), row.peerMethod(), row.questions(), row.ourTokensPerSecond(),
                    row.peerTokensPerSecond(), row.ratio(), row.ourMeanAcceptedTokens(), row.peerMeanAcceptedTokens()));
        }
        return md.toString();
    }

    static String peerEqualityLine(PeerComparison peer) {
        return peer.comparedTurns() == 0
                ? "the peer's token ids were not compared (none given, or no autoregressive answers)"
                : String.format(Locale.ROOT, "the peer's greedy tokens equal our autoregressive tokens on %d of %d turns"
                        + " (the same target and prompts; a difference is a near tie resolved the other way by"
                        + " other arithmetic, such as llama.cpp's int8 activations, not a failure)",
                        peer.equalTurns(), peer.comparedTurns());
    }

    static String settingsLines(RunSettings s) {
        StringBuilder md = new StringBuilder();
        md.append("- protocol: greedy, batch 1, max new tokens ").append(s.maxNewTokens())
                .append(s.maxNewTokens() == SpecBenchRunner.DEFAULT_MAX_NEW_TOKENS ? "" : " (Spec-Bench: 1024)")
                .append(", ").append(s.warmups()).append(" warm-up runs, gamma ").append(s.gamma()).append('\n');
        md.append("- questions: ").append(s.questionFile())
                .append(s.limitPerCategory() > 0 ? ", at most " + s.limitPerCategory() + " per category" : "")
                .append(s.limitPerTask() > 0 ? ", at most " + s.limitPerTask() + " per task" : "")
                .append(s.limitPerCategory() <= 0 && s.limitPerTask() <= 0 ? ", all" : "")
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
