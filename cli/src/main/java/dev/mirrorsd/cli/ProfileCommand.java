package dev.mirrorsd.cli;

import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.specbench.Question;
import dev.mirrorsd.specbench.QuestionFile;
import dev.mirrorsd.specbench.QuestionSelection;
import dev.mirrorsd.specbench.RunSettings;
import dev.mirrorsd.specbench.profile.PercentileTable;
import dev.mirrorsd.specbench.profile.ProfileReport;
import dev.mirrorsd.specbench.profile.ProfileRun;
import dev.mirrorsd.specbench.profile.ProfileSettings;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mirror-sd profile}: where a strategy's latency goes. Runs a prompt (or Spec-Bench
 * questions' first turns) several times after warm-ups, prints the percentile table, and writes the
 * histograms, a Chrome trace of both lanes and the report into {@code --output}.
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Profile a strategy's latency: time to first token, inter-token latency and every phase"
                + " (draft, target forward, verify, ...) as HdrHistogram percentiles; writes <series>.hgrm,"
                + " trace.json (Chrome trace events: open in ui.perfetto.dev), profile.md and profile.json.")
final class ProfileCommand implements Callable<Integer> {
    /** Profiled when no prompt and no Spec-Bench selection is given. */
    static final String DEFAULT_PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle.";

    @Parameters(index = "0", arity = "0..1", paramLabel = "PROMPT", description = "The user prompt (default: a short"
            + " story request).")
    String positionalPrompt;

    @Option(names = "--prompt", description = "The user prompt (instead of the positional argument).")
    String prompt;

    @Mixin
    ModelOptions models;

    @Option(names = "--questions", description = "Profile Spec-Bench questions (first turns) from this question.jsonl"
            + " instead of a prompt.")
    Path questions;

    @Option(names = "--limit", defaultValue = "0", description = "With --questions or --categories: questions per"
            + " category, 0 = all (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--categories", split = ",", description = "With Spec-Bench questions: tasks or categories,"
            + " comma-separated (default: all). Implies the default question file when --questions is absent.")
    List<String> categories = new ArrayList<>();

    @Option(names = "--runs", defaultValue = "3", description = "Profiled generations of each prompt (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmups", defaultValue = "2", description = "Unprofiled generations of the first prompt first"
            + " (default ${DEFAULT-VALUE}).")
    int warmups;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens per generation (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--num-assistant-tokens", defaultValue = "4", description = "Draft tokens per round, gamma"
            + " (default ${DEFAULT-VALUE}).")
    int gamma;

    @Option(names = "--overhead", description = "Also measure the profiler's cost: every generation again with the"
            + " profiler off and on, interleaved, and report tokens/s of both.")
    boolean overhead;

    @Option(names = "--output", defaultValue = "profile-out", description = "Directory for the files (default ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--no-progress", description = "No progress bar on stderr.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // check every argument before loading a model
        String strategy = models.strategy().label();
        List<List<ChatMessage>> prompts = prompts();
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(maxNewTokens).withNumAssistantTokens(gamma);
        String model = models.targetPath().getFileName().toString().replaceAll("\\.gguf$", "");
        try (Generator generator = models.openGenerator()) {
            ProfileRun run = new ProfileRun(generator, config, runs, warmups, overhead);
            ProfileRun.Result result = run(run, prompts);
            ProfileSettings settings = new ProfileSettings(model, strategy, describePrompts(prompts.size()), runs,
                    warmups, maxNewTokens, gamma, RunSettings.thisMachine(), commandLine());
            List<String> files = ProfileReport.write(output, settings, result);
            System.out.print(ProfileReport.markdown(settings, result));
            System.out.println("wrote " + output.toAbsolutePath() + ": " + String.join(", ", files));
        }
        return 0;
    }

    /** The prompt, or the Spec-Bench selection's first turns when questions or categories are given. */
    List<List<ChatMessage>> prompts() {
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be >= 1, got " + runs);
        }
        boolean specBench = specBenchSelection();
        String text = prompt != null ? prompt : positionalPrompt;
        if (specBench && text != null) {
            throw new IllegalArgumentException("give either a prompt or Spec-Bench questions (--questions, --categories,"
                    + " --limit), not both");
        }
        if (!specBench) {
            if (text != null && text.isBlank()) {
                throw new IllegalArgumentException("the prompt is empty");
            }
            return List.of(List.of(ChatMessage.user(text != null ? text : DEFAULT_PROMPT)));
        }
        QuestionSelection.categories(categories);
        Path file = questions != null ? questions : QuestionFile.defaultPath();
        List<Question> selected = QuestionSelection.select(QuestionFile.read(file), categories, limit);
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no questions selected from " + file);
        }
        return selected.stream().map(q -> List.of(ChatMessage.user(q.turns().get(0)))).toList();
    }

    /** Whether Spec-Bench questions are profiled instead of a prompt. */
    private boolean specBenchSelection() {
        return questions != null || !categories.isEmpty() || limit > 0;
    }

    private String describePrompts(int count) {
        return specBenchSelection() ? count + " Spec-Bench question(s), first turns" : "1 prompt";
    }

    private ProfileRun.Result run(ProfileRun run, List<List<ChatMessage>> prompts) {
        if (noProgress) {
            return run.run(prompts, ProfileRun.Progress.NONE);
        }
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("profile")
                .setInitialMax(run.generations(prompts.size())).setStyle(ProgressBarStyle.ASCII).build()) {
            return run.run(prompts, (done, total) -> {
                bar.stepTo(done);
                bar.setExtraMessage(String.format(Locale.ROOT, "%d/%d generations", done, total));
            });
        }
    }

    /** The arguments as given, for the report's reproduction line. */
    private String commandLine() {
        if (spec == null || spec.commandLine().getParseResult() == null) {
            return "";
        }
        return "mirror-sd " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }
}
