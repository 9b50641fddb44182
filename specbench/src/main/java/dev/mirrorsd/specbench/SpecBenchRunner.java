package dev.mirrorsd.specbench;

import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.pipeline.Cancellation;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.GenerationStats;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.TokenListener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs methods over Spec-Bench questions under its protocol: greedy decoding, batch 1, at most
 * {@code maxNewTokens} new tokens a turn, and unmeasured warm-up runs of the first question before
 * each method. Methods run one after another, each over every question, as Spec-Bench runs one
 * process per method. The second turn of an MT-bench question sees the method's own first answer
 * (user, assistant, user).
 *
 * <p>Not thread-safe: one run at a time.
 */
public final class SpecBenchRunner {
    /** The baseline every method is compared with; a run must include it. */
    public static final String BASELINE = "autoregressive";
    /** Spec-Bench's warm-up runs. */
    public static final int DEFAULT_WARMUPS = 3;
    /** Spec-Bench's token budget per turn. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 1024;

    /** Told after every answered question; called on the running thread. */
    @FunctionalInterface
    public interface Progress {
        void answered(String method, Question question, int done, int total);

        Progress NONE = (method, question, done, total) -> { };
    }

    private final GenerationConfig config;
    private final int warmups;

    private SpecBenchRunner(GenerationConfig config, int warmups) {
        if (!config.sampling().isGreedy()) {
            throw new IllegalArgumentException("Spec-Bench's protocol decodes greedily; got sampling " + config.sampling());
        }
        if (warmups < 0) {
            throw new IllegalArgumentException("warm-up runs must be >= 0, got " + warmups);
        }
        this.config = config;
        this.warmups = warmups;
    }

    /** Greedy decoding with at most {@code maxNewTokens} a turn and draft length {@code gamma}. */
    public static SpecBenchRunner greedy(int maxNewTokens, int gamma, int warmups) {
        return new SpecBenchRunner(GenerationConfig.defaults().withMaxNewTokens(maxNewTokens)
                .withNumAssistantTokens(gamma), warmups);
    }

    public GenerationConfig config() {
        return config;
    }

    public int warmups() {
        return warmups;
    }

    /**
     * Answers every question with every method.
     *
     * @param methods generators by method name, run in this order; must hold {@link #BASELINE}
     * @return each method's answers, in question order, keyed as {@code methods}
     */
    public Map<String, List<Answer>> run(List<Question> questions, Map<String, Generator> methods, Progress progress) {
        if (!methods.containsKey(BASELINE)) {
            throw new IllegalArgumentException("a Spec-Bench run needs the '" + BASELINE
                    + "' baseline for speedups and the equality check; methods: " + methods.keySet());
        }
        if (questions.isEmpty()) {
            throw new IllegalArgumentException("no questions to run");
        }
        int total = questions.size() * methods.size();
        int done = 0;
        Map<String, List<Answer>> answers = new LinkedHashMap<>();
        for (Map.Entry<String, Generator> method : methods.entrySet()) {
            Generator generator = method.getValue();
            for (int i = 0; i < warmups; i++) {
                answer(method.getKey(), generator, questions.get(0));
            }
            List<Answer> answered = new ArrayList<>();
            for (Question question : questions) {
                answered.add(answer(method.getKey(), generator, question));
                progress.answered(method.getKey(), question, ++done, total);
            }
            answers.put(method.getKey(), answered);
        }
        return answers;
    }

    /** Every turn of one question; a later turn's conversation holds the earlier turns and answers. */
    Answer answer(String method, Generator generator, Question question) {
        List<ChatMessage> conversation = new ArrayList<>();
        List<TurnAnswer> turns = new ArrayList<>();
        for (String turn : question.turns()) {
            conversation.add(ChatMessage.user(turn));
            GenerationResult result;
            try {
                result = generator.generate(conversation, config, TokenListener.NONE, new Cancellation());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("question " + question.id() + " turn " + (turns.size() + 1)
                        + " (" + method + "): " + e.getMessage(), e);
            }
            GenerationStats stats = result.stats();
            turns.add(new TurnAnswer(result.text(), result.tokenIds(), stats.rounds(), stats.newTokens(),
                    stats.wallTimeNanos() / 1e9, stats.acceptLengths(), stats.mirror()));
            conversation.add(ChatMessage.assistant(result.text()));
        }
        return new Answer(question, method, turns);
    }
}
