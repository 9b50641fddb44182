package dev.mirrorsd.cli;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.mapping.PlacedModels;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;
import dev.mirrorsd.specbench.Answer;
import dev.mirrorsd.specbench.Peer;
import dev.mirrorsd.specbench.Question;
import dev.mirrorsd.specbench.QuestionFile;
import dev.mirrorsd.specbench.QuestionSelection;
import dev.mirrorsd.specbench.RunSettings;
import dev.mirrorsd.specbench.SpecBenchReport;
import dev.mirrorsd.specbench.SpecBenchRunner;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mirror-sd specbench}: Spec-Bench's protocol (greedy, batch 1, warm-up runs) over its
 * questions for a set of methods; writes Spec-Bench answer files and the report. Exit status 1 when
 * a method's greedy output differs from autoregressive decoding.
 */
@Command(name = "specbench", mixinStandardHelpOptions = true,
        description = "Reproduce Spec-Bench: speedup and mean accepted tokens per task, answers in Spec-Bench's"
                + " JSONL, report.md, report.json and report.html; fails if a method's greedy output differs"
                + " from autoregressive decoding.")
final class SpecbenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @Option(names = "--questions", description = "Spec-Bench question.jsonl (default: $MIRRORSD_QUESTIONS or"
            + " ../shared/specbench/question.jsonl; public: data/spec_bench/question.jsonl of"
            + " github.com/hemingkx/Spec-Bench).")
    Path questions;

    @Option(names = "--limit", defaultValue = "0", description = "Questions per category, 0 = all (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--task-limit", defaultValue = "0", description = "Questions per task, shared round-robin by the"
            + " task's categories (mt_bench has 8), 0 = all (default ${DEFAULT-VALUE}).")
    int taskLimit;

    @Option(names = "--categories", split = ",", description = "Tasks (mt_bench, translation, summarization, qa,"
            + " math_reasoning, rag) or categories (writing, roleplay, ...) to run, comma-separated (default: all).")
    List<String> categories = new ArrayList<>();

    @Option(names = "--methods", split = ",", defaultValue = "autoregressive,prompt-lookup,early-exit",
            description = "Methods, comma-separated: " + "autoregressive, draft, prompt-lookup, early-exit, streaming, mirror;"
                    + " autoregressive is always run, as the baseline (default ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--max-new-tokens", defaultValue = "1024", description = "Tokens per turn (default"
            + " ${DEFAULT-VALUE}, Spec-Bench's; a smaller value is printed in the report).")
    int maxNewTokens;

    @Option(names = "--num-assistant-tokens", defaultValue = "4", description = "Draft tokens per round, gamma"
            + " (default ${DEFAULT-VALUE}).")
    int gamma;

    @Option(names = "--warmups", defaultValue = "3", description = "Warm-up runs of the first question per method"
            + " (default ${DEFAULT-VALUE}, Spec-Bench's).")
    int warmups;

    @Option(names = "--on-error", defaultValue = "stop", description = "A malformed question line: stop or skip"
            + " (default ${DEFAULT-VALUE}).")
    String onError;

    @Option(names = "--output", defaultValue = "specbench-out", description = "Directory for <method>.jsonl and"
            + " the reports (default ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--peer", description = "A peer's answers to put beside ours in the reports: a directory with"
            + " peer.json and <method>.jsonl, as tools/peers/hf_peers.py writes (Hugging Face transformers).")
    Path peerDirectory;

    @Option(names = "--no-progress", description = "No progress bar on stderr.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // check every argument before loading a model
        List<Strategy> strategies = strategies(methods);
        QuestionSelection.categories(categories);
        QuestionFile.OnError whenMalformed = onError(onError);
        List<Question> all = QuestionFile.read(questionFile(), whenMalformed,
                warning -> System.err.println("warning: " + warning));
        List<Question> selected = QuestionSelection.select(all, categories, limit, taskLimit);
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no questions selected from " + questionFile());
        }
        Peer peer = peerDirectory == null ? null : Peer.read(peerDirectory);
        SpecBenchRunner runner = SpecBenchRunner.greedy(maxNewTokens, gamma, warmups);
        try (PlacedModels loaded = models.load(strategies)) {
            Checkpoint checkpoint = loaded.checkpoint();
            // the generators share the models; they are closed once, at the end
            Map<String, Generator> generators = new LinkedHashMap<>();
            for (Strategy strategy : strategies) {
                generators.put(strategy.label(), loaded.generator(strategy));
            }
            Map<String, List<Answer>> answers = run(runner, selected, generators);
            String model = modelName(checkpoint.source());
            RunSettings settings = new RunSettings(model, questionFile().toString(),
                    strategies.stream().map(Strategy::label).toList(), maxNewTokens, gamma, warmups, limit, taskLimit,
                    categories, RunSettings.thisMachine(), commandLine());
            SpecBenchReport report = SpecBenchReport.of(settings, answers);
            if (peer != null) {
                report = report.withPeer(peer, answers);
            }
            report.write(output, answers);
            System.out.print(dev.mirrorsd.specbench.ReportMarkdown.render(report));
            System.out.println("wrote " + output.toAbsolutePath() + " (report.md, report.json, report.html, <method>.jsonl)");
            return report.equalityPassed() ? 0 : 1;
        }
    }

    private Map<String, List<Answer>> run(SpecBenchRunner runner, List<Question> selected,
                                          Map<String, Generator> generators) {
        if (noProgress) {
            return runner.run(selected, generators, SpecBenchRunner.Progress.NONE);
        }
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("specbench")
                .setInitialMax((long) selected.size() * generators.size()).setStyle(ProgressBarStyle.ASCII).build()) {
            return runner.run(selected, generators, (method, question, done, total) -> {
                bar.stepTo(done);
                bar.setExtraMessage(String.format(Locale.ROOT, "%s q%d", method, question.id()));
            });
        }
    }

    /** The methods by name, the autoregressive baseline first and added when missing; unknown names list the valid ones. */
    static List<Strategy> strategies(List<String> names) {
        List<Strategy> strategies = new ArrayList<>();
        strategies.add(Strategy.AUTOREGRESSIVE);
        for (String name : names) {
            Strategy strategy = Strategy.byName(name.trim());
            if (!strategies.contains(strategy)) {
                strategies.add(strategy);
            }
        }
        return strategies;
    }

    static QuestionFile.OnError onError(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "stop":
                return QuestionFile.OnError.STOP;
            case "skip":
                return QuestionFile.OnError.SKIP;
            default:
                throw new IllegalArgumentException("--on-error must be stop or skip, got '" + value + "'");
        }
    }

    /** The arguments as given, for the report's reproduction line. */
    private String commandLine() {
        if (spec == null || spec.commandLine().getParseResult() == null) {
            return "";
        }
        return "mirror-sd " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    private static String modelName(Path source) {
        String name = source.getFileName().toString();
        return name.replaceAll("\\.gguf$", "");
    }

    Path questionFile() {
        return questions != null ? questions : QuestionFile.defaultPath();
    }
}
