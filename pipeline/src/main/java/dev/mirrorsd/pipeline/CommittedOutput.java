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
    private int prefixOffset;       // text tokens from which each commit decodes again (see newText)
    private int readOffset;         // text tokens whose text is in `text`
    private final StringBuilder text = new StringBuilder(); // decoded so far, cut before a stop string
    private int streamed;           // chars of `text` given to the listener
    private final int holdBack;     // the longest stop string's length - 1: a stop may begin in these
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
        this.holdBack = config.stopStrings().stream().mapToInt(String::length).max().orElse(1) - 1;
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

    /**
     * Appends the committed tokens' text, cuts it before a stop string, and returns what the listener
     * has not seen yet. While stop strings are set, the last (longest stop - 1) characters wait for
     * the next commit, since a stop string may begin in them: streamed text never shows a stop's
     * beginning that the final text drops.
     */
    private String streamText() {
        String fresh = newText();
        if (!fresh.isEmpty()) {
            int before = text.length();
            text.append(fresh);
            int cut = -1;
            for (String stop : config.stopStrings()) {
                int at = text.indexOf(stop, Math.max(0, before - stop.length() + 1));
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                text.setLength(cut);
                finish = FinishReason.STOP;
            }
        }
        int ready = finish != null ? text.length() : Math.max(streamed, text.length() - holdBack);
        String delta = text.substring(streamed, ready);
        streamed = ready;
        return delta;
    }

    /**
     * The text of the tokens committed since the last call, decoded incrementally as vLLM does: the
     * tokens from {@code prefixOffset} are decoded without and with the new ones and the difference
     * is the new text. Decoding a short window instead of everything keeps a commit's cost flat
     * (SmolLM2's tokenizer: 28 us for 256 tokens, 229 us for 2,048), and decoding the new tokens
     * after some old ones gives what decoding everything would where a tokenizer drops a leading
     * space or joins bytes across tokens. Empty while a multi-byte character is incomplete.
     */
    private String newText() {
        int from = promptLength + prefixOffset;
        String before = tokenizer.decode(Arrays.copyOfRange(context, from, promptLength + readOffset));
        String after = tokenizer.decode(Arrays.copyOfRange(context, from, promptLength + textTokens));
        if (after.length() <= before.length() || (finish == null && after.endsWith("\uFFFD"))) {
            return ""; // nothing new, or a multi-byte character is still arriving
        }
        prefixOffset = readOffset;
        readOffset = textTokens;
        return after.substring(before.length());
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
        return text.toString();
    }

    long firstTokenNanos() {
        return firstTokenNanos;
    }

    int[] generatedTokens() {
        return Arrays.copyOfRange(context, promptLength, length);
    }
}
