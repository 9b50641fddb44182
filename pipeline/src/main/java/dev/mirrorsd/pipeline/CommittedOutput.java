package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.pipeline.profile.Profiler;

import java.util.Arrays;

/**
 * The tokens a request has committed, and what they mean for it: streamed text, end-of-sequence,
 * stop strings, the token budget. Decoding loops only call {@link #commit} and ask {@link #done}.
 * One per request; not thread-safe.
 */
final class CommittedOutput {
    private final TextTokenizer tokenizer;
    private final ModelConfig model;
    private final GenerationConfig config;
    private final TokenListener listener;
    private final Profiler profiler;
    private final int[] context;   // prompt then generated tokens, (prompt + maxNewTokens)
    private final int promptLength;
    private int length;
    private int textTokens;         // generated tokens that count as text (EOS excluded)
    private String text = "";
    private FinishReason finish;
    private long firstTokenNanos;

    CommittedOutput(TextTokenizer tokenizer, ModelConfig model, GenerationConfig config, TokenListener listener,
                    int[] prompt, Profiler profiler) {
        this.profiler = profiler;
        this.tokenizer = tokenizer;
        this.model = model;
        this.config = config;
        this.listener = listener;
        this.context = Arrays.copyOf(prompt, prompt.length + config.maxNewTokens());
        this.promptLength = prompt.length;
        this.length = prompt.length;
    }

    /**
     * Commits tokens in order until one ends the request; returns how many were taken (tokens after
     * an end-of-sequence token or past the budget are dropped, never shown).
     */
    int commit(int... tokens) {
        int taken = 0;
        while (taken < tokens.length && finish == null) {
            int token = tokens[taken++];
            context[length++] = token;
            if (firstTokenNanos == 0) {
                firstTokenNanos = System.nanoTime();
            }
            boolean eos = !config.ignoreEos() && model.isEos(token);
            if (eos) {
                finish = FinishReason.STOP;
            } else {
                textTokens = generated();
            }
            if (finish == null && generated() >= config.maxNewTokens()) {
                finish = FinishReason.LENGTH;
            }
        }
        if (profiler.enabled() && taken > 0) {
            profiler.tokens(System.nanoTime(), taken);
        }
        int[] accepted = Arrays.copyOfRange(tokens, 0, taken);
        String delta = streamText();
        listener.onTokens(accepted, delta);
        return taken;
    }

    /** Decodes the text so far; holds back a trailing incomplete UTF-8 character; applies stop strings. */
    private String streamText() {
        String decoded = tokenizer.decode(Arrays.copyOfRange(context, promptLength, promptLength + textTokens));
        if (finish == null && decoded.endsWith("\uFFFD")) {
            return ""; // a multi-byte character is still arriving
        }
        int cut = -1;
        for (String stop : config.stopStrings()) {
            int from = Math.max(0, text.length() - stop.length());
            int at = decoded.indexOf(stop, from);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            decoded = decoded.substring(0, cut);
            finish = FinishReason.STOP;
        }
        String delta = decoded.startsWith(text) ? decoded.substring(text.length()) : "";
        text = decoded.length() >= text.length() ? decoded : text;
        return delta;
    }

    void cancel() {
        if (finish == null) {
            finish = FinishReason.CANCELLED;
        }
    }

    boolean done() {
        return finish != null;
    }

    FinishReason finishReason() {
        return finish;
    }

    /** Prompt and committed tokens, {@code (length())}; a view, valid until the next commit. */
    int[] context() {
        return context;
    }

    int length() {
        return length;
    }

    int generated() {
        return length - promptLength;
    }

    int promptLength() {
        return promptLength;
    }

    String text() {
        return text;
    }

    long firstTokenNanos() {
        return firstTokenNanos;
    }

    int[] generatedTokens() {
        return Arrays.copyOfRange(context, promptLength, length);
    }
}
