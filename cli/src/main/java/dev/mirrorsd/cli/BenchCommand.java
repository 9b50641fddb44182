package dev.mirrorsd.cli;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.mapping.PlacedModels;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;
import dev.mirrorsd.specbench.DecodeBenchmark;
import dev.mirrorsd.specbench.MemoryBandwidth;
import dev.mirrorsd.specbench.ProcessMemory;
import dev.mirrorsd.specbench.Question;
import dev.mirrorsd.specbench.QuestionFile;
import dev.mirrorsd.specbench.SpecBenchTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code mirror-sd bench}: decode speed per strategy and gamma on Spec-Bench prompts, beside the memory floor. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Decode tokens/s, tau and per-token latency per strategy and gamma, with the memory-bandwidth floor.")
final class BenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @Option(names = "--questions", description = "Spec-Bench question.jsonl (default: $MIRRORSD_QUESTIONS or ../shared/specbench/question.jsonl).")
    Path questions;

    @Option(names = "--prompts", defaultValue = "6", description = "Prompts, one per task in turn (default ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens per prompt (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--strategies", split = ",", defaultValue = "autoregressive",
            description = "Strategies to run, comma-separated (default ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Option(names = "--gammas", split = ",", defaultValue = "4", description = "Draft lengths (default ${DEFAULT-VALUE}).")
    List<Integer> gammas;

    @Option(names = "--warmups", defaultValue = "1", description = "Unmeasured runs first (default ${DEFAULT-VALUE}).")
    int warmups;

    @Override
    public Integer call() throws Exception {
        List<List<ChatMessage>> conversations = prompts(QuestionFile.read(questionFile()), prompts);
        double bandwidth = MemoryBandwidth.readBytesPerSecond(1L << 30, Runtime.getRuntime().availableProcessors(), 5);
        try (PlacedModels loaded = models.load(strategies.stream().map(Strategy::byName).toList())) {
            report(loaded, conversations, bandwidth);
        }
        System.out.printf(Locale.ROOT, "peak RSS: %.2f GB%n", ProcessMemory.peakResidentBytes() / 1e9);
        return 0;
    }

    private void report(PlacedModels loaded, List<List<ChatMessage>> conversations, double bandwidth) {
        CausalLM target = loaded.target();
        Strategy.Choice chosen = models.defaultStrategy();
        System.out.println("default strategy for this plan: " + chosen.strategy() + " (" + chosen.reason() + ")");
        System.out.println(DecodeBenchmark.floorReport(target.config(), bandwidth));
        System.out.println(DecodeBenchmark.tableHeader());
        for (String name : strategies) {
            Strategy strategy = Strategy.byName(name);
            // the generators share the models; they are closed once, at the end
            Generator generator = loaded.generator(strategy);
            for (int gamma : strategy == Strategy.AUTOREGRESSIVE ? List.of(1) : gammas) {
                GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(maxNewTokens)
                        .withNumAssistantTokens(gamma);
                DecodeBenchmark.Result result = DecodeBenchmark.run(generator, conversations, config, warmups, System.err);
                System.out.println(DecodeBenchmark.tableRow(result));
            }
        }
    }

    Path questionFile() {
        return questions != null ? questions : QuestionFile.defaultPath();
    }

    /** The first turn of questions taken from each task in turn, so a few prompts cover every task. */
    static List<List<ChatMessage>> prompts(List<Question> all, int count) {
        Map<SpecBenchTask, List<Question>> byTask = new LinkedHashMap<>();
        for (SpecBenchTask task : SpecBenchTask.values()) {
            byTask.put(task, new ArrayList<>());
        }
        for (Question q : all) {
            byTask.get(SpecBenchTask.of(q.category())).add(q);
        }
        List<List<ChatMessage>> prompts = new ArrayList<>();
        for (int round = 0; prompts.size() < count; round++) {
            boolean any = false;
            for (List<Question> questions : byTask.values()) {
                if (round < questions.size() && prompts.size() < count) {
                    prompts.add(List.of(ChatMessage.user(questions.get(round).turns().get(0))));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        return prompts;
    }
}
