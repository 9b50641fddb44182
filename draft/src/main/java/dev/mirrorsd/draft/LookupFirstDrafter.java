package dev.mirrorsd.draft;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.random.RandomGenerator;

/**
 * A model draft that takes prompt lookup in where the context repeats itself: when the context's
 * last {@code minNgram} or more tokens occurred before, the round proposes what followed them (as
 * {@link NgramDrafter} does). Summaries, retrieved passages and translations copy names and phrases
 * from the prompt, which a small draft predicts worse than the prompt itself does; chat and
 * reasoning do not, and keep the draft. A chain draft gives such a round to the lookup alone (its
 * steps are saved); a tree draft keeps its tree and the lookup's continuation joins it as one more
 * branch ({@link DraftProposal#withPath}), sharing the nodes where the two agree, so that the
 * target's one window checks both.
 *
 * <p>What a round proposes depends on the committed context alone, never on a draw the verifier
 * makes, and the lookup's tokens are point masses, so each round's proposal is an ordinary draft and
 * verification stays lossless under greedy and sampled decoding. The model's session keeps
 * receiving the target's features every round, and catches up on the positions it skipped or did
 * not draft the next time it drafts.
 */
public final class LookupFirstDrafter implements Drafter {
    private final Drafter model;
    private final NgramDrafter lookup;
    private final boolean trees;

    /**
     * Lookups of {@code minNgram}..{@code maxNgram} tokens (shorter matches are left to the model);
     * {@code trees}: the model drafts trees, which a lookup joins rather than replaces.
     */
    public LookupFirstDrafter(Drafter model, int maxNgram, int minNgram, boolean trees) {
        this.model = model;
        this.lookup = new NgramDrafter(maxNgram, minNgram);
        this.trees = trees;
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
                if (copied.length == 0) {
                    return session.propose(context, length, maxTokens);
                }
                return trees ? session.propose(context, length, maxTokens).withPath(copied) : DraftProposal.chain(copied);
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
