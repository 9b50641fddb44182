package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.core.tokenizer.ChatTemplate;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.draft.Drafter;
import dev.mirrorsd.draft.MirrorDrafter;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

import java.util.List;

/**
 * The generate() API: built once from a target model and its tokenizer, reused across requests.
 *
 * <p>Thread-safety: {@code generate} may be called from many threads at once; each request owns
 * its KV cache, sampler and output, and shares only the read-only weights.
 */
public final class Generator implements AutoCloseable {
    /** Cache positions kept beyond the token budget, so that the last rounds still verify whole windows. */
    private static final int WINDOW_SLACK = 64;

    private final CausalLM target;
    private final TextTokenizer tokenizer;
    private final ChatTemplate chatTemplate; // null: prompts are encoded as they are
    private final Drafter drafter;           // serial speculative decoding, or null
    private final MirrorDrafter mirror;      // Mirror-SD's draft pipeline, or null
    private final MirrorOptions mirrorOptions;

    private Generator(CausalLM target, TextTokenizer tokenizer, ChatTemplate chatTemplate, Drafter drafter,
                      MirrorDrafter mirror, MirrorOptions mirrorOptions) {
        this.target = target;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.drafter = drafter;
        this.mirror = mirror;
        this.mirrorOptions = mirrorOptions;
    }

    /** Autoregressive decoding of {@code target}; {@code chatTemplate} may be null for base models. */
    public static Generator of(CausalLM target, TextTokenizer tokenizer, ChatTemplate chatTemplate) {
        return new Generator(target, tokenizer, chatTemplate, null, null, null);
    }

    /** Speculative decoding of {@code target} with {@code drafter}'s proposals. */
    public static Generator speculative(CausalLM target, TextTokenizer tokenizer, ChatTemplate chatTemplate,
                                        Drafter drafter) {
        return new Generator(target, tokenizer, chatTemplate, drafter, null, null);
    }

    /**
     * Mirror speculative decoding: the target verifies on the calling thread while {@code drafter}
     * rolls out branches on a thread of its own per request.
     *
     * @throws IllegalArgumentException if the early-exit layer is not inside the target
     */
    public static Generator mirror(CausalLM target, TextTokenizer tokenizer, ChatTemplate chatTemplate,
                                   MirrorDrafter drafter, MirrorOptions options) {
        int layers = target.config().numLayers();
        if (options.exitLayer() >= layers) {
            throw new IllegalArgumentException("early-exit layer " + options.exitLayer() + " must be below the"
                    + " target's " + layers + " layers");
        }
        return new Generator(target, tokenizer, chatTemplate, null, drafter, options);
    }

    /** The strategy's name: the drafter's, or "autoregressive". */
    public String strategy() {
        return mirror != null ? mirror.name() : drafter == null ? "autoregressive" : drafter.name();
    }

    /** A single user turn, through the chat template when the model has one. */
    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(List.of(ChatMessage.user(prompt)), config, TokenListener.NONE, new Cancellation());
    }

    /** A conversation, through the chat template (or its contents joined by newlines without one). */
    public GenerationResult generate(List<ChatMessage> conversation, GenerationConfig config,
                                     TokenListener listener, Cancellation cancellation) {
        return generateFromIds(encode(conversation), config, listener, cancellation);
    }

    /** The prompt's token ids, as {@link #generate} would feed them. */
    public int[] encode(List<ChatMessage> conversation) {
        if (conversation.isEmpty() || conversation.stream().allMatch(m -> m.content().isEmpty())) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        String text = chatTemplate != null
                ? chatTemplate.render(conversation, true)
                : String.join("\n", conversation.stream().map(ChatMessage::content).toList());
        return tokenizer.encode(text);
    }

    /** Generates after prompt token ids. */
    public GenerationResult generateFromIds(int[] prompt, GenerationConfig config, TokenListener listener,
                                            Cancellation cancellation) {
        return generateFromIds(prompt, config, listener, cancellation, Profiler.OFF);
    }

    /** Generates after prompt token ids, reporting every phase's timing to {@code profiler}. */
    public GenerationResult generateFromIds(int[] prompt, GenerationConfig config, TokenListener listener,
                                            Cancellation cancellation, Profiler profiler) {
        long start = System.nanoTime();
        int context = target.config().maxPositions();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (prompt.length + config.maxNewTokens() > context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens + max_new_tokens "
                    + config.maxNewTokens() + " exceeds the model's context of " + context + " tokens");
        }
        requireInVocabulary(prompt, target.config().vocabSize());
        CommittedOutput output = new CommittedOutput(tokenizer, target.config(), config, listener, prompt, profiler);
        TokenChooser chooser = new TokenChooser(config.sampling(), target.config().vocabSize());
        RoundStats stats = new RoundStats(profiler);
        // room for the last verification window beyond the committed tokens, within the context
        int capacity = Math.min(context, prompt.length + config.maxNewTokens() + WINDOW_SLACK);
        try (Sequence sequence = target.newSequence(capacity);
             DecodingLoop loop = newLoop(config, prompt, capacity, chooser, profiler)) {
            // prefill: the prompt as one window, logits of its last position only
            Logits logits = sequence.forward(Window.chain(prompt, 0), prompt.length - 1);
            stats.prefillNanos = System.nanoTime() - start;
            if (profiler.enabled()) {
                profiler.span(Lane.TARGET, Phase.PREFILL, start, start + stats.prefillNanos);
            }
            output.commit(chooser.choose(logits, 0, output.context(), output.length()));
            stats.round(0, 0);
            loop.run(sequence, output, stats, cancellation);
        }
        long end = System.nanoTime();
        GenerationStats result = new GenerationStats(prompt.length, output.generated(), stats.rounds, stats.drafted,
                stats.accepted, stats.acceptedByPosition, stats.prefillNanos, output.firstTokenNanos() - start,
                end - start, stats.draftFailure, stats.acceptLengths(), stats.mirror);
        return new GenerationResult(output.text(), output.generatedTokens(), output.finishReason(), result);
    }

    /** Checked before any KV cache is allocated, so that a bad request costs nothing and names the bad id. */
    private static void requireInVocabulary(int[] prompt, int vocabSize) {
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocabSize) {
                throw new IllegalArgumentException("prompt token id " + prompt[i] + " at position " + i
                        + " is outside the model's vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    private DecodingLoop newLoop(GenerationConfig config, int[] prompt, int capacity, TokenChooser chooser,
                                 Profiler profiler) {
        int vocab = target.config().vocabSize();
        if (mirror != null) {
            return new MirrorLoop(mirror, mirrorOptions, config, prompt, capacity,
                    new WindowVerification(config.sampling(), chooser, vocab), profiler);
        }
        if (drafter != null) {
            DraftSession session = drafter.open(config.sampling(), capacity);
            return new SpeculativeLoop(session, draftLength(config),
                    new WindowVerification(config.sampling(), chooser, vocab));
        }
        return new AutoregressiveLoop(chooser);
    }

    private DraftLength draftLength(GenerationConfig config) {
        return config.dynamicDraftLength()
                ? DraftLength.adaptive(config.numAssistantTokens(), 2 * config.numAssistantTokens())
                : DraftLength.fixed(config.numAssistantTokens());
    }

    public CausalLM target() {
        return target;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        if (drafter != null) {
            drafter.close();
        }
        if (mirror != null) {
            mirror.close();
        }
        target.close();
        tokenizer.close();
    }
}
