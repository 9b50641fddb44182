package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.Arrays;

/**
 * Turns a row of draft logits into the distribution q over target ids that a draft token is chosen
 * from: through {@code draftToTarget} when the draft predicts over a reduced vocabulary (target ids
 * outside it get no probability), then through the request's logits processors under sampling, so
 * that p and q are processed alike. Greedy drafting only needs a plain softmax (for the confidence
 * stop), written into one reused buffer.
 *
 * <p>One per draft session; not thread-safe.
 */
final class TargetDistribution {
    private final int[] draftToTarget; // (draft vocab) target id of each draft logit, or null = identity
    private final int targetVocab;
    private final SamplingConfig sampling;
    private final LogitsProcessor processor;
    private final LogitsProcessor.Scratch scratch;
    private final float[] targetLogits;  // (target vocab) the draft's row spread over target ids
    private final float[] greedyScratch; // (target vocab) greedy q, read at once and never kept
    private float[] topLogits = new float[0]; // the best logits so far, for top()

    TargetDistribution(int[] draftToTarget, int targetVocab, SamplingConfig sampling) {
        this.draftToTarget = draftToTarget;
        this.targetVocab = targetVocab;
        this.sampling = sampling;
        this.processor = new LogitsProcessor(sampling, targetVocab);
        this.scratch = processor.newScratch();
        this.targetLogits = new float[targetVocab];
        this.greedyScratch = new float[targetVocab];
    }

    /**
     * The distribution of {@code logits}' row {@code row}. Greedy: a buffer overwritten by the next
     * call; sampling: a fresh array the caller may keep (the rejection verifier reads it later).
     *
     * @param context       committed tokens then the row's path, for the repetition penalty
     * @param contextLength entries of {@code context} in use
     */
    float[] of(Logits logits, int row, int[] context, int contextLength) {
        if (draftToTarget == null) {
            System.arraycopy(logits.values(), row * logits.vocab(), targetLogits, 0, targetVocab);
        } else {
            Arrays.fill(targetLogits, Float.NEGATIVE_INFINITY);
            for (int d = 0; d < draftToTarget.length; d++) {
                targetLogits[draftToTarget[d]] = logits.get(row, d);
            }
        }
        if (sampling.isGreedy()) {
            softmax(targetLogits, greedyScratch);
            return greedyScratch;
        }
        float[] q = new float[targetVocab];
        processor.process(targetLogits, 0, context, contextLength, scratch, q);
        return q;
    }

    /**
     * The {@code k} most probable tokens of {@code logits}' row, best first, into {@code tokens}, and
     * their log-probabilities into {@code logProbs}; returns how many (fewer than {@code k} where fewer
     * tokens have any probability). Ties go to the lower target id.
     *
     * <p>Greedy reads the draft's row as it is: the softmax is monotone, so the best logits are the best
     * tokens, and a token's log-probability is its logit less the row's log-sum-exp. Spreading the row
     * over the target vocabulary and exponentiating all of it, as {@link #of} does, took about half a
     * millisecond per expanded tree node, several times a draft step on a GPU.
     *
     * @param context       committed tokens then the row's path, for the repetition penalty
     * @param contextLength entries of {@code context} in use
     */
    int top(Logits logits, int row, int[] context, int contextLength, int k, int[] tokens, double[] logProbs) {
        if (!sampling.isGreedy()) {
            float[] q = of(logits, row, context, contextLength);
            int[] best = DraftTree.top(q, k);
            for (int i = 0; i < best.length; i++) {
                tokens[i] = best[i];
                logProbs[i] = Math.log(q[best[i]]);
            }
            return best.length;
        }
        int n = draftToTarget == null ? targetVocab : draftToTarget.length;
        int off = row * logits.vocab();
        float[] values = logits.values();
        if (topLogits.length < k) {
            topLogits = new float[k];
        }
        int found = 0;
        for (int d = 0; d < n; d++) {
            float v = values[off + d];
            if (!(v > Float.NEGATIVE_INFINITY)) {
                continue; // no probability (NaN included)
            }
            int id = draftToTarget == null ? d : draftToTarget[d];
            if (found == k && (v < topLogits[k - 1] || v == topLogits[k - 1] && id > tokens[k - 1])) {
                continue;
            }
            int j = found < k ? found++ : k - 1;
            while (j > 0 && (topLogits[j - 1] < v || topLogits[j - 1] == v && tokens[j - 1] > id)) {
                topLogits[j] = topLogits[j - 1];
                tokens[j] = tokens[j - 1];
                j--;
            }
            topLogits[j] = v;
            tokens[j] = id;
        }
        if (found == 0) {
            return 0;
        }
        float max = topLogits[0];
        double logSum = Math.log(DraftKernels.sumExp(values, off, n, max));
        for (int i = 0; i < found; i++) {
            logProbs[i] = (topLogits[i] - max) - logSum;
        }
        return found;
    }

    /** A copy of a draft-to-target map (null stays null) whose ids all lie in the target's vocabulary. */
    static int[] checkedMap(int[] draftToTarget, int targetVocab) {
        if (draftToTarget == null) {
            return null;
        }
        for (int id : draftToTarget) {
            if (id < 0 || id >= targetVocab) {
                throw new IllegalArgumentException("draft-to-target map holds id " + id
                        + " outside the target vocabulary of " + targetVocab);
            }
        }
        return draftToTarget.clone();
    }

    /** The target id of the row's best draft logit: greedy drafting needs no distribution. */
    int argmax(Logits logits, int row) {
        int best = logits.argmax(row);
        return draftToTarget == null ? best : draftToTarget[best];
    }

    static void softmax(float[] logits, float[] out) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            float e = (float) Math.exp(logits[i] - max);
            out[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < out.length; i++) {
            out[i] *= inv;
        }
    }
}
