package dev.mirrorsd.draft;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.random.RandomGenerator;

/**
 * A model draft that gives way to prompt lookup where the context repeats itself: when the
 * context's last {@code minNgram} or more tokens occurred before, the round proposes what followed
 * them (as {@link NgramDrafter} does), else the model drafts. Summaries, retrieved passages and
 * translations copy names and phrases from the prompt, which a small draft predicts worse than the
 * prompt itself does; chat and reasoning do not, and keep the draft.
 *
 * <p>Which of the two drafts a round depends on the committed context alone, never on a draw the
 * verifier makes, so each round's proposal is an ordinary draft (point masses from the lookup, the
 * model's distributions otherwise) and verification stays lossless under greedy and sampled decoding.
 * The model's session keeps receiving the target's features every round, and catches up on the
 * positions it skipped the next time it drafts.
 */
public final class LookupFirstDrafter implements Drafter {
    private final Drafter model;
    private final NgramDrafter lookup;

    /** Lookups of {@code minNgram}..{@code maxNgram} tokens (shorter matches are left to the model). */
    public LookupFirstDrafter(Drafter model, int maxNgram, int minNgram) {
        this.model = model;
        this.lookup = new NgramDrafter(maxNgram, minNgram);
    }

    @Override
    public String name() {
        return model.name();
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        DraftSession session = model.open(sampling, random, capacity);
        return new DraftSession() {
            @Override
            public DraftProposal propose(int[] context, int length, int maxTokens) {
                int[] copied = maxTokens > 0 ? lookup.lookup(context, length, maxTokens) : new int[0];
                return copied.length > 0 ? DraftProposal.chain(copied) : session.propose(context, length, maxTokens);
            }

            @Override
            public int[] featureLayers() {
                return session.featureLayers();
            }

            @Override
            public void acceptFeatures(int firstPosition, float[] window, int width, int[] rows) {
                session.acceptFeatures(firstPosition, window, width, rows);
            }

            @Override
            public void close() {
                session.close();
            }
        };
    }

    @Override
    public void close() {
        model.close();
    }
}
