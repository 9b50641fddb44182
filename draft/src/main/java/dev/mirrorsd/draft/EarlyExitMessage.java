package dev.mirrorsd.draft;

import java.util.Objects;

/**
 * The target's early-exit message M_t as the draft side reads it (docs/design/mirror-sd.md section 3): the
 * verification window the target is running and, after each of its rows, the top-kappa of the
 * proxy distribution at layer l_e. The candidates after window row i are the likely corrections
 * (or the bonus) should the target accept i draft tokens.
 *
 * @param windowTokens      {@code (rows)} the last committed token, then the draft chain x1..xn
 *                          being verified
 * @param kappa             candidates per row
 * @param candidates        {@code (rows * kappa)} row-major candidate token ids, best first
 * @param candidateLogProbs {@code (rows * kappa)} their natural-log probabilities under the proxy
 * @param features          {@code (rows * featureWidth)} each row's target features (the residual
 *                          stream at the draft's feature layers, all at or below l_e), or empty
 * @param featureWidth      floats of features per row, 0 for none
 */
public record EarlyExitMessage(int[] windowTokens, int kappa, int[] candidates, float[] candidateLogProbs,
                               float[] features, int featureWidth) {

    /** A message without features, for a draft that reads tokens only. */
    public EarlyExitMessage(int[] windowTokens, int kappa, int[] candidates, float[] candidateLogProbs) {
        this(windowTokens, kappa, candidates, candidateLogProbs, new float[0], 0);
    }

    public EarlyExitMessage {
        Objects.requireNonNull(windowTokens, "windowTokens");
        if (windowTokens.length < 1) {
            throw new IllegalArgumentException("a window holds at least the last committed token");
        }
        if (kappa < 1) {
            throw new IllegalArgumentException("kappa must be >= 1, got " + kappa);
        }
        int expected = windowTokens.length * kappa;
        if (candidates.length != expected || candidateLogProbs.length != expected) {
            throw new IllegalArgumentException(windowTokens.length + " rows of " + kappa + " candidates need "
                    + expected + " entries, got " + candidates.length + " tokens and " + candidateLogProbs.length
                    + " log-probs");
        }
        if (featureWidth < 0 || features.length != windowTokens.length * featureWidth) {
            throw new IllegalArgumentException(windowTokens.length + " rows of " + featureWidth + " features need "
                    + windowTokens.length * featureWidth + " floats, got " + features.length);
        }
        windowTokens = windowTokens.clone();
        candidates = candidates.clone();
        candidateLogProbs = candidateLogProbs.clone();
        features = features.clone();
    }

    /** Window rows: draft rows + 1. */
    public int rows() {
        return windowTokens.length;
    }

    /** The token at window row {@code row}. */
    public int windowToken(int row) {
        return windowTokens[row];
    }

    /** The {@code rank}-th best candidate after window row {@code row}. */
    public int candidate(int row, int rank) {
        return candidates[row * kappa + rank];
    }

    public float candidateLogProb(int row, int rank) {
        return candidateLogProbs[row * kappa + rank];
    }

    /** The features' array itself, {@code (rows * featureWidth)}: read, never change. */
    float[] featuresShared() {
        return features;
    }

    @Override
    public float[] features() {
        return features.clone();
    }

    @Override
    public int[] windowTokens() {
        return windowTokens.clone();
    }

    @Override
    public int[] candidates() {
        return candidates.clone();
    }

    @Override
    public float[] candidateLogProbs() {
        return candidateLogProbs.clone();
    }
}
