package dev.mirrorsd.draft;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Prompt lookup (Saxena 2023; Hugging Face's {@code prompt_lookup_num_tokens}): finds the most
 * recent earlier occurrence of the context's last n-gram, longest n first, and proposes the tokens
 * that followed it. No model, deterministic proposals (point masses), so lossless under both
 * greedy and rejection-sampling verification.
 */
public final class NgramDrafter implements Drafter {
    /** Hugging Face's longest n-gram. */
    public static final int MAX_NGRAM = 3;

    private final int maxNgram;
    private final int minNgram;

    /** Hugging Face's defaults: n-grams of 3 down to 1 tokens. */
    public NgramDrafter() {
        this(MAX_NGRAM, 1);
    }

    public NgramDrafter(int maxNgram, int minNgram) {
        if (minNgram < 1 || maxNgram < minNgram) {
            throw new IllegalArgumentException("need 1 <= minNgram <= maxNgram, got " + minNgram + ", " + maxNgram);
        }
        this.maxNgram = maxNgram;
        this.minNgram = minNgram;
    }

    @Override
    public String name() {
        return "prompt-lookup";
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        // deterministic proposals: draws nothing from random
        return new DraftSession() {
            @Override
            public DraftProposal propose(int[] context, int length, int maxTokens) {
                return DraftProposal.chain(lookup(context, length, maxTokens));
            }

            @Override
            public void close() {
            }
        };
    }

    /** The continuation of the latest earlier match of the longest matching suffix n-gram. */
    int[] lookup(int[] context, int length, int maxTokens) {
        for (int n = Math.min(maxNgram, length - 1); n >= minNgram; n--) {
            int suffix = length - n;
            // latest earlier occurrence first: recent text predicts the next tokens best
            for (int start = suffix - 1; start >= 0; start--) {
                if (Arrays.equals(context, start, start + n, context, suffix, length)) {
                    int from = start + n;
                    int count = Math.min(maxTokens, length - from);
                    if (count > 0) {
                        return Arrays.copyOfRange(context, from, from + count);
                    }
                }
            }
        }
        return new int[0];
    }
}
