package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;

/**
 * One request's {@link FeatureDraftModel} state: the target's features by position, and the draft
 * cache fed from them. Positions 1..fed-1 of the cache hold steps fed with target features (the
 * features of the position before, and the committed token); positions past them hold the draft's
 * own steps, rewritten as soon as the target's features of those positions arrive. Position 0 has no
 * position before it and is fed a zero feature, as in training. Not thread-safe.
 */
final class FeatureCursor {
    private final FeatureDraftModel.State state;
    private final int width;
    private final float[] features;  // (capacity, width): the target's, by position
    private final int[] fedTokens;   // the token fed at each position from target features
    private final float[] zeros;     // (width) the feature before position 0
    private final float[] g;         // the draft's hidden state after its last step
    private final float[] logits;    // (draft vocabulary) of the last step that asked for them
    private final Logits row;
    private float[] treeLogits = new float[0]; // (nodes of a depth, draft vocabulary)
    private int known;               // positions 0..known-1 have target features
    private int fed;

    FeatureCursor(FeatureDraftModel draft, int capacity) {
        this.state = draft.newState(capacity);
        this.width = draft.featureWidth();
        this.features = new float[capacity * width];
        this.fedTokens = new int[capacity];
        this.zeros = new float[width];
        this.g = new float[draft.hiddenSize()];
        this.logits = new float[draft.draftVocab()];
        this.row = new Logits(1, draft.draftVocab(), logits);
    }

    int capacity() {
        return state.capacity();
    }

    int width() {
        return width;
    }

    /** The draft-vocabulary logits of the last step that asked for them, as one row. */
    Logits logits() {
        return row;
    }

    /** Stores the target's features of positions {@code first..}: window row {@code rows[i]} for position first + i. */
    void accept(int first, float[] window, int rowWidth, int[] rows) {
        if (rowWidth != width) {
            throw new IllegalArgumentException("features of width " + rowWidth + ", the draft reads " + width);
        }
        int count = Math.min(rows.length, capacity() - first);
        for (int i = 0; i < count; i++) {
            System.arraycopy(window, rows[i] * width, features, (first + i) * width, width);
        }
        known = first + count;
        fed = Math.min(fed, first + 1); // positions after first read the new features
    }

    /**
     * Feeds every position up to {@code length - 1} not yet fed from target features; the logits then
     * predict the token at {@code length} when {@code wantLogits}.
     *
     * @throws IllegalStateException features of the positions before are missing
     */
    void catchUp(int[] context, int length, boolean wantLogits) {
        if (known < length - 1) {
            throw new IllegalStateException("the draft has target features for " + known + " positions, the"
                    + " context holds " + length + " tokens: the decoding loop did not hand them over");
        }
        fed = Math.min(fed, length - 1); // the last position is fed again to get its logits
        for (int p = 0; p < fed; p++) {
            if (fedTokens[p] != context[p]) {
                fed = p;
                break;
            }
        }
        if (fed == 0) {
            // position 0 has no position before it: a zero feature, as in training
            state.step(zeros, 0, true, context[0], 0, 0, g, wantLogits && length == 1 ? logits : null);
            fedTokens[0] = context[0];
            fed = 1;
        }
        if (fed < length) {
            state.fusedSteps(features, (fed - 1) * width, width, context, fed, length - fed, 0, g,
                    wantLogits ? logits : null);
            System.arraycopy(context, fed, fedTokens, fed, length - fed);
        }
        fed = length;
    }

    /**
     * One step at {@code position} from target features held elsewhere ({@code source[offset..]}, the
     * features of position - 1: an early-exit message's rows). A hypothesis: the position does not
     * count as fed, and is fed again once the target's features of the position before are accepted.
     */
    void feed(float[] source, int offset, int token, int position, boolean wantLogits) {
        state.step(source, offset, true, token, position, 0, g, wantLogits ? logits : null);
    }

    /** Frees the draft cache (device memory when the draft runs on an engine). */
    void close() {
        state.close();
    }

    /** The draft's hidden state after its last step (a tree's root, after {@link #catchUp}). */
    float[] g() {
        return g;
    }

    /**
     * The nodes of one tree depth as one window ({@link FeatureDraftModel.State#treeSteps}), attending
     * to the fed positions {@code 0..committedEnd}; row r of the returned logits predicts node r's
     * children. The logits are this cursor's buffer, overwritten by the next call.
     */
    Logits treeSteps(float[][] parentGs, int[] tokens, int[] positions, int[] slots, int rows, int committedEnd,
                     int[][] extra, int[] extraCounts, float[][] gOut) {
        int vocab = logits.length;
        if (treeLogits.length < rows * vocab) {
            treeLogits = new float[rows * vocab];
        }
        state.treeSteps(parentGs, tokens, positions, slots, rows, 0, committedEnd, extra, extraCounts, gOut, treeLogits);
        return new Logits(rows, vocab, treeLogits);
    }

    /**
     * A chain of {@code budget} tokens from the current logits (the token after {@code length}
     * committed ones), each further token from the draft's own state.
     */
    DraftProposal chain(int budget, TargetDistribution distribution, SamplingConfig sampling, TokenSampler sampler,
                        int[] context, int length) {
        int[] tokens = new int[budget];
        float[][] distributions = sampling.isGreedy() ? null : new float[budget][];
        int[] working = sampling.isGreedy() ? null : Arrays.copyOf(context, length + budget);
        for (int i = 0; i < budget; i++) {
            if (i > 0) {
                state.step(g, 0, false, tokens[i - 1], length - 1 + i, 0, g, logits);
            }
            if (distributions == null) {
                tokens[i] = distribution.argmax(row, 0);
            } else {
                float[] q = distribution.of(row, 0, working, length + i);
                tokens[i] = sampler.sample(q);
                distributions[i] = q;
                working[length + i] = tokens[i];
            }
        }
        return DraftProposal.chain(tokens, distributions);
    }
}
