package dev.mirrorsd.cli;

import dev.mirrorsd.core.model.PrefillProgress;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.pipeline.Cancellation;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.GenerationStats;
import dev.mirrorsd.pipeline.Generator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mirror-sd generate "prompt"}: answers one prompt, streaming the text as it is committed. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a reply to a prompt with the target model (default: SmolLM2-135M-Instruct).")
final class GenerateCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PROMPT", description = "The user prompt.")
    String positionalPrompt;

    @Option(names = "--prompt", description = "The user prompt (instead of the positional argument).")
    String prompt;

    @Option(names = "--system", description = "A system message placed before the prompt.")
    String system;

    @Mixin
    ModelOptions models;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--do-sample", description = "Sample instead of greedy decoding.")
    boolean doSample;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "50", description = "Top-k filter when sampling, 0 = off (default ${DEFAULT-VALUE}, as Hugging Face).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus filter when sampling (default ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", description = "Hugging Face's repetition penalty (default ${DEFAULT-VALUE} = off).")
    float repetitionPenalty;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for sampling (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--num-assistant-tokens", defaultValue = "4", description = "Draft tokens per round, gamma (default ${DEFAULT-VALUE}).")
    int numAssistantTokens;

    @Option(names = "--dynamic-draft-length", description = "Adapt gamma to recent acceptance (Hugging Face's heuristic schedule).")
    boolean dynamicDraftLength;

    @Option(names = "--stop", description = "Stop string (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating past end-of-sequence tokens.")
    boolean ignoreEos;

    @Option(names = "--no-stream", description = "Print the text once at the end instead of as it comes.")
    boolean noStream;

    @Option(names = "--stats", description = "Print the request's statistics to stderr.")
    boolean stats;

    @Option(names = "--json", description = "Print one JSON object (text, token ids, statistics) instead of the text.")
    boolean json;

    @Override
    public Integer call() {
        String text = prompt != null ? prompt : positionalPrompt;
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("give a prompt: mirror-sd generate \"...\" (or --prompt)");
        }
        SamplingConfig sampling = new SamplingConfig(doSample, temperature, topK, topP, repetitionPenalty, seed);
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(maxNewTokens).withSampling(sampling)
                .withStopStrings(stops).withIgnoreEos(ignoreEos).withNumAssistantTokens(numAssistantTokens)
                .withDynamicDraftLength(dynamicDraftLength);
        List<ChatMessage> conversation = new ArrayList<>();
        if (system != null) {
            conversation.add(ChatMessage.system(system));
        }
        conversation.add(ChatMessage.user(text));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Generator generator = models.openGenerator()) {
            boolean streaming = !noStream && !json;
            // a prompt fed in chunks shows its progress on stderr before the first token
            GenerationResult result = PrefillProgress.reporting(new PrefillMeter(System.err),
                    () -> generator.generate(conversation, config,
                            streaming ? (ids, delta) -> out.print(delta) : (ids, delta) -> { }, new Cancellation()));
            if (json) {
                out.println(JsonOutput.of(generator.strategy(), result));
            } else {
                out.println(streaming ? "" : result.text());
            }
            if (stats) {
                printStats(result.stats(), System.err);
            }
        }
        return 0;
    }

    static void printStats(GenerationStats s, PrintStream err) {
        err.printf("prompt %d tokens, generated %d tokens in %.2f s: %.2f tokens/s, time to first token %.0f ms,"
                        + " rounds %d, tau %.2f, acceptance %.2f%n",
                s.promptTokens(), s.newTokens(), s.wallTimeNanos() / 1e9, s.tokensPerSecond(),
                s.timeToFirstTokenNanos() / 1e6, s.rounds(), s.meanAcceptedLength(), s.acceptanceRate());
        if (s.mirror() != null) {
            err.printf("mirror: %d rounds, early-exit hit rate %.2f, rollouts %.0f ms of which %.0f%% under the"
                            + " target's suffix, waits for proposals %.0f ms%n", s.mirror().rounds(), s.mirror().hitRate(),
                    s.mirror().rolloutNanos() / 1e6, 100 * s.mirror().overlapFraction(),
                    s.mirror().proposalWaitNanos() / 1e6);
        }
        if (s.draftFailure() != null) {
            err.println("draft failure (finished on the target alone): " + s.draftFailure());
        }
    }
}
