package dev.mirrorsd.target.mirror;

import dev.mirrorsd.core.model.Logits;

/**
 * The target's side of Mirror-SD's early-exit message: the top-kappa tokens and their log-probs
 * per window row of the proxy distribution p^(l_e) (the final norm and LM head applied after layer
 * l_e). These are the corrections (or bonus tokens) the target is likely to emit at each depth,
 * for which the draft rolls out branches while the target finishes its remaining layers.
 *
 * <p>The proxy may be computed over a vocabulary subset (see
 * {@link dev.mirrorsd.core.model.ForwardPass#logits(int, int[])}): columns are then mapped back to
 * target ids, and log-probs are normalised over the subset.
 *
 * <p>Reuses its buffers: no allocation per round. Not thread-safe (one per target pipeline).
 */
public final class EarlyExitCandidates {

    private final int kappa;
    private final int[] vocabulary; // target id of each proxy column, or null when the columns are the ids
    private final int[] rankColumn; // (kappa) scratch: best columns of one row, best first

    /**
     * @param kappa      candidates per row, >= 1
     * @param vocabulary target id of each proxy column, or null for the full vocabulary
     */
    public EarlyExitCandidates(int kappa, int[] vocabulary) {
        if (kappa < 1) {
            throw new IllegalArgumentException("kappa must be >= 1, got " + kappa);
        }
        this.kappa = kappa;
        this.vocabulary = vocabulary;
        this.rankColumn = new int[kappa];
    }

    public int kappa() {
        return kappa;
    }

    /** The subset the proxy is computed over, or null: pass it to {@code ForwardPass.logits(row, vocabulary)}. */
    public int[] vocabulary() {
        return vocabulary;
    }

    /**
     * Fills, for every row of {@code proxy}, its {@code kappa} best target ids and log-probs, best first.
     *
     * @param tokens   {@code (rows * kappa)} row-major output ids
     * @param logProbs {@code (rows * kappa)} row-major output natural-log probabilities
     */
    public void select(Logits proxy, int[] tokens, float[] logProbs) {
        int columns = proxy.vocab();
        if (kappa > columns) {
            throw new IllegalArgumentException("kappa " + kappa + " exceeds the proxy's " + columns + " columns");
        }
        float[] values = proxy.values();
        for (int row = 0; row < proxy.rows(); row++) {
            int base = row * columns;
            float max = Float.NEGATIVE_INFINITY;
            int found = 0;
            for (int col = 0; col < columns; col++) {
                float v = values[base + col];
                max = Math.max(max, v);
                // insertion into the running top-kappa; ties keep the lower column, as argmax does
                if (found < kappa || v > values[base + rankColumn[found - 1]]) {
                    int at = found < kappa ? found++ : kappa - 1;
                    while (at > 0 && v > values[base + rankColumn[at - 1]]) {
                        rankColumn[at] = rankColumn[at - 1];
                        at--;
                    }
                    rankColumn[at] = col;
                }
            }
            double sum = 0;
            for (int col = 0; col < columns; col++) {
                sum += Math.exp(values[base + col] - max);
            }
            float logNormaliser = (float) (max + Math.log(sum));
            for (int k = 0; k < kappa; k++) {
                int col = rankColumn[k];
                tokens[row * kappa + k] = vocabulary == null ? col : vocabulary[col];
                logProbs[row * kappa + k] = values[base + col] - logNormaliser;
            }
        }
    }
}
