package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.sampling.RequestRandom;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.core.tokenizer.ChatTemplate;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.draft.Drafter;
import dev.mirrorsd.draft.MirrorDrafter;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generate() API: built once from a target model and its tokenizer, reused across requests.
 *
 * <p>Thread-safety: {@code generate} may be called from many threads at once; each request owns
 * its KV cache, random source and output, and shares only the read-only weights. Several generators
 * (one per strategy) may share one target and one draft model; close the models once, then.
 *
 * <p>Randomness: a request owns one {@link RequestRandom}, seeded with its sampling seed. The token
 * after the prefill, every autoregressive step and every rejection test, correction and bonus draw
 * from its generator in turn; the draft (its sampled tokens, Mirror-SD's branch rollouts) from the
 * child split off it as the request starts. Every draw is thus independent of every other, and a
 * seed reproduces the whole output, whatever the strategy.
 *
 * <p>Under load and faults (see {@link #withAdmission} and {@link #withDraftDeadline}): a request
 * either returns its result, or is refused before anything is allocated
 * ({@link IllegalArgumentException} for bad input, {@link RejectedRequestException} when the queue
 * is full), or fails with a {@link GenerationException} carrying its committed tokens. In every case
 * its caches are freed and the generator serves the next request.
 */
public final class Generator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Generator.class);
    /** Cache positions kept beyond the token budget, so that the last rounds still verify whole windows. */
    private static final int WINDOW_SLACK = 64;
    /** A drafter call slower than this is given up; generous, since only a hung drafter should reach it. */
    public static final Duration DEFAULT_DRAFT_DEADLINE = Duration.ofSeconds(5);

    private final CausalLM target;
    private final TextTokenizer tokenizer;
    private final ChatTemplate chatTemplate; // null: prompts are encoded as they are
    private final Drafter drafter;           // serial speculative decoding, or null
    private final MirrorDrafter mirror;      // Mirror-SD's draft side, or null
    private final MirrorOptions mirrorOptions;
    // reliability settings (issue 7): admission of concurrent requests, the drafter's deadline per round
    private final Admission admission;
    private final Duration draftDeadline;   // null: the drafter runs on the request's thread, unbounded

    private Generator(CausalLM target, TextTokenizer tokenizer, ChatTemplate chatTemplate, Drafter drafter,
                      MirrorDrafter mirror, MirrorOptions mirrorOptions) {
        this(target, tokenizer, chatTemplate, drafter, mirror, mirrorOptions, Admission.unlimited(),
                DEFAULT_DRAFT_DEADLINE);
    }

    private Generator(CausalLM target, TextTokenizer tokenizer, ChatTemplate chatTemplate, Drafter drafter,
                      MirrorDrafter mirror, MirrorOptions mirrorOptions, Admission admission, Duration draftDeadline) {
        this.target = target;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.drafter = drafter;
        this.mirror = mirror;
        this.mirrorOptions = mirrorOptions;
        this.admission = admission;
        this.draftDeadline = draftDeadline;
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
     * rolls out branches on a thread of its own per request. Any {@link MirrorDrafter} serves: the
     * pipeline only drives its sessions.
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
        for (int layer : drafter.featureLayers()) {
            if (layer > options.exitLayer()) {
                throw new IllegalArgumentException("the draft reads the target's hidden states at layer " + layer
                        + ", past the early-exit layer " + options.exitLayer() + ": Mirror-SD's early-exit message"
                        + " can only carry layers at or below it (--exit-layer)");
            }
        }
        return new Generator(target, tokenizer, chatTemplate, null, drafter, options);
    }

    /**
     * This generator with admission control: at most {@code maxConcurrent} requests decode at once,
     * at most {@code maxQueued} more wait and are admitted in arrival order, and any further request
     * is refused with {@link RejectedRequestException} (nothing allocated). A waiting request whose
     * cancellation is raised leaves the queue and returns an empty, cancelled result. Shares this
     * generator's models: close only one of the two.
     */
    public Generator withAdmission(int maxConcurrent, int maxQueued) {
        return new Generator(target, tokenizer, chatTemplate, drafter, mirror, mirrorOptions,
                Admission.bounded(maxConcurrent, maxQueued), draftDeadline);
    }

    /**
     * This generator with a deadline on each round's drafting in serial speculative decoding
     * ({@link #DEFAULT_DRAFT_DEADLINE} unless set; Mirror-SD's draft pipeline has its own timeout):
     * the drafter then runs on a draft thread while the request waits, and a call that overruns is
     * given up, the request finishing on the target alone with every token kept and the fault in
     * {@link GenerationStats#draftFailure()}. {@code null} runs the drafter on the request's own
     * thread with no deadline. Shares this generator's models: close only one of the two.
     */
    public Generator withDraftDeadline(Duration deadline) {
        if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
            throw new IllegalArgumentException("draft deadline must be positive, got " + deadline);
        }
        return new Generator(target, tokenizer, chatTemplate, drafter, mirror, mirrorOptions, admission, deadline);
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

    /**
     * Generates after prompt token ids, reporting every phase's timing to {@code profiler}.
     *
     * @throws IllegalArgumentException a bad request, refused before anything is allocated
     * @throws RejectedRequestException the admission queue is full
     * @throws GenerationException      the target (or {@code listener}) failed mid-request
     */
    public GenerationResult generateFromIds(int[] prompt, GenerationConfig config, TokenListener listener,
                                            Cancellation cancellation, Profiler profiler) {
        long start = System.nanoTime(); // time in the admission queue counts: the caller waited
        requireValid(prompt, config);   // a bad request is refused without taking a place in the queue
        try (Admission.Permit permit = admission.enter(cancellation)) {
            return decode(start, prompt, config, listener, cancellation, profiler);
        }
    }

    private void requireValid(int[] prompt, GenerationConfig config) {
        int context = target.config().maxPositions();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (prompt.length + config.maxNewTokens() > context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens + max_new_tokens "
                    + config.maxNewTokens() + " exceeds the model's context of " + context + " tokens");
        }
        requireInVocabulary(prompt, target.config().vocabSize());
    }

    private GenerationResult decode(long start, int[] prompt, GenerationConfig config, TokenListener listener,
                                    Cancellation cancellation, Profiler profiler) {
        int context = target.config().maxPositions();
        CommittedOutput output = new CommittedOutput(tokenizer, target.config(), config, listener, prompt, profiler);
        RequestRandom random = RequestRandom.of(config.sampling()); // every draw of this request takes from it
        TokenChooser chooser = new TokenChooser(config.sampling(), target.config().vocabSize(), random.target());
        RoundStats stats = new RoundStats(profiler);
        // room for the last verification window beyond the committed tokens, within the context
        int capacity = Math.min(context, prompt.length + config.maxNewTokens() + WINDOW_SLACK);
        if (cancellation.isCancelled()) {
            output.cancel(); // before the first token (or while queued): nothing is allocated
            return result(start, prompt, output, stats);
        }
        long prefillStart = System.nanoTime(); // after any wait for admission
        try (Sequence sequence = target.newSequence(capacity);
             DecodingLoop loop = newLoop(config, prompt, capacity, chooser, random, profiler, stats)) {
            // prefill: the prompt as one window, logits of its last position only
            Logits logits = loop.prefill(sequence, prompt);
            stats.prefillNanos = System.nanoTime() - prefillStart;
            if (profiler.enabled()) {
                profiler.span(Lane.TARGET, Phase.PREFILL, prefillStart, prefillStart + stats.prefillNanos);
            }
            output.commit(chooser.choose(logits, 0, output.context(), output.length()));
            stats.round(0, 0);
            loop.run(sequence, output, stats, cancellation);
        } catch (RuntimeException e) {
            // the caches are closed by now; the caller gets what was committed, the generator goes on
            LOG.warn("request failed after {} committed tokens", output.generated(), e);
            throw new GenerationException(output.generatedTokens(), output.text(), e);
        }
        return result(start, prompt, output, stats);
    }

    private static GenerationResult result(long start, int[] prompt, CommittedOutput output, RoundStats stats) {
        long end = System.nanoTime();
        long firstToken = output.firstTokenNanos() == 0 ? 0 : output.firstTokenNanos() - start;
        GenerationStats result = new GenerationStats(prompt.length, output.generated(), stats.rounds, stats.drafted,
                stats.accepted, stats.acceptedByPosition, stats.prefillNanos, firstToken,
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

    /** The request's loop: the chooser and the verifier draw from {@code random.target()}, the draft from draft(). */
    private DecodingLoop newLoop(GenerationConfig config, int[] prompt, int capacity, TokenChooser chooser,
                                 RequestRandom random, Profiler profiler, RoundStats stats) {
        int vocab = target.config().vocabSize();
        if (mirror != null) {
            return new MirrorLoop(mirror, mirrorOptions, config, prompt, capacity,
                    new WindowVerification(config.sampling(), chooser, vocab), random.draft(), profiler,
                    target.config().hiddenSize());
        }
        DraftSession session = openDraft(config, random, capacity, stats);
        if (session != null) {
            return new SpeculativeLoop(session, draftLength(config),
                    new WindowVerification(config.sampling(), chooser, vocab), target.config().hiddenSize());
        }
        return new AutoregressiveLoop(chooser);
    }

    /**
     * The request's draft session, under the deadline when one is set; null for autoregressive
     * decoding, or when the drafter cannot even open (the request then runs on the target alone).
     */
    private DraftSession openDraft(GenerationConfig config, RequestRandom random, int capacity, RoundStats stats) {
        if (drafter == null) {
            return null;
        }
        DraftSession session;
        try {
            session = drafter.open(config.sampling(), random.draft(), capacity);
        } catch (RuntimeException e) {
            stats.draftFailure = e.toString();
            LOG.warn("drafter failed to open; running the request on the target alone", e);
            return null;
        }
        return draftDeadline == null ? session : new DeadlineDraftSession(session, draftDeadline);
    }

    /** Admission of this generator's requests; for tests that watch the queue. */
    Admission admission() {
        return admission;
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
