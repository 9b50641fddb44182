package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.TokenSampler;

/**
 * The target's predictions over one verification window.
 *
 * <p>Indexing: the target runs ONE forward over the window {@code [last committed token, draft
 * rows 0..n-1]} (a chain or the draft tree, {@code n = proposal.size()}). Row 0 of the scores is the
 * prediction at the last committed token, i.e. the distribution the first draft token(s) must
 * match; row {@code r + 1} is the prediction after draft row {@code r} (its children's, or the
 * bonus token's, distribution). So {@code rows = n + 1}, and target-window row = draft row + 1.
 *
 * @param rows          {@code proposal.size() + 1}
 * @param vocab         entries per row
 * @param values        row-major {@code (rows, vocab)}
 * @param probabilities {@code true}: each row is a distribution, after the same processors as the
 *                      draft's (required by {@link RejectionVerifier}); {@code false}: raw logits,
 *                      enough for {@link GreedyVerifier} (argmax is the same either way)
 */
public record TargetScores(int rows, int vocab, float[] values, boolean probabilities) {

    public TargetScores {
        if (rows <= 0 || vocab <= 0 || (long) rows * vocab != values.length) {
            throw new IllegalArgumentException(rows + " x " + vocab + " scores need " + (long) rows * vocab
                    + " values, got " + values.length);
        }
    }

    /** Processed distributions, row-major {@code (rows, vocab)}. */
    public static TargetScores ofProbabilities(int rows, int vocab, float[] values) {
        return new TargetScores(rows, vocab, values, true);
    }

    /** Raw logits of the whole window, for greedy verification. */
    public static TargetScores ofLogits(Logits logits) {
        return new TargetScores(logits.rows(), logits.vocab(), logits.values(), false);
    }

    /** Row of the prediction after {@code node}: 0 for the root ({@code node = -1}), {@code r + 1} for draft row r. */
    public static int rowAfter(int node) {
        return node + 1;
    }

    /** Offset of {@code row} in {@link #values()}. */
    public int offset(int row) {
        return row * vocab;
    }

    public float get(int row, int token) {
        return values[row * vocab + token];
    }

    /** Argmax of a row; the lowest index wins ties, as torch.argmax does. */
    public int argmax(int row) {
        return TokenSampler.argmax(values, row * vocab, vocab);
    }
}
