package dev.mirrorsd.specbench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a Spec-Bench run: the speed table, the greedy equality check, and how it was run.
 * {@link #write} puts every file in one directory: {@code <method>.jsonl} answers, {@code report.md},
 * {@code report.json} and {@code report.html}.
 *
 * @param settings   how the run was made
 * @param rows       per task then overall, per method (see {@link SpeedReport})
 * @param mismatches turns where a method's greedy tokens differ from the baseline's; empty = passed
 * @param peer       our methods beside a peer's (tools/peers), or null without a peer
 */
public record SpecBenchReport(RunSettings settings, List<TaskSpeed> rows, List<GreedyEquality.Mismatch> mismatches,
                              PeerComparison peer) {

    public SpecBenchReport {
        rows = List.copyOf(rows);
        mismatches = List.copyOf(mismatches);
    }

    /** The table and the equality check of a run's answers. */
    public static SpecBenchReport of(RunSettings settings, Map<String, List<Answer>> answers) {
        return new SpecBenchReport(settings, SpeedReport.of(answers, SpecBenchRunner.BASELINE),
                GreedyEquality.check(answers, SpecBenchRunner.BASELINE), null);
    }

    /** This report with {@code peer}'s answers beside our {@code answers}. */
    public SpecBenchReport withPeer(Peer peer, Map<String, List<Answer>> answers) {
        return new SpecBenchReport(settings, rows, mismatches, PeerComparison.of(peer, answers));
    }

    public boolean equalityPassed() {
        return mismatches.isEmpty();
    }

    /** Writes the answers and the three report files into {@code directory}, creating it. */
    public void write(Path directory, Map<String, List<Answer>> answers) {
        try {
            Files.createDirectories(directory);
            for (Map.Entry<String, List<Answer>> method : answers.entrySet()) {
                AnswerFile.write(directory.resolve(method.getKey() + ".jsonl"), settings.model(), method.getValue());
            }
            Files.writeString(directory.resolve("report.md"), ReportMarkdown.render(this), StandardCharsets.UTF_8);
            Files.writeString(directory.resolve("report.json"), ReportJson.render(this), StandardCharsets.UTF_8);
            Files.writeString(directory.resolve("report.html"), ReportHtml.render(this), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Spec-Bench report to " + directory, e);
        }
    }
}
