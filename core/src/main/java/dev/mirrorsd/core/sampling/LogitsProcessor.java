package dev.mirrorsd.core.sampling;

import java.util.Arrays;

/**
 * Turns one row of raw logits into the distribution a token is drawn from, in Hugging Face's order:
 * repetition penalty, temperature, top-k, top-p, softmax. Speculative decoding must apply the same
 * processor to the target's and the draft's rows; the verifier then compares the two distributions.
 *
 * <p>Greedy configs ({@link SamplingConfig#isGreedy()}) give a one-hot distribution at the argmax of
 * the penalised logits (lowest index wins ties), so greedy and sampling verification read the same
 * data.
 *
 * <p>Cost per row, vocabulary V: O(V) for the penalty, temperature and softmax; top-k selects with
 * a k-sized heap (O(V log k), no sort of the vocabulary); top-p bins the candidates by logit and
 * sorts only the one bin where the cumulative mass crosses {@code topP}. Ties in the top-p order
 * rank the lower token id first.
 *
 * <p>Thread-safety: immutable and shareable; each sequence brings its own {@link Scratch}.
 */
public final class LogitsProcessor {

    /** Logit bins for top-p: bins 0..N-2 split the logits within NUCLEUS_RANGE of the maximum. */
    private static final int NUCLEUS_BINS = 4097;
    /** exp(-64) ~ 1.6e-28: tokens further below the maximum share the last bin. */
    private static final float NUCLEUS_RANGE = 64f;

    private final SamplingConfig config;
    private final int vocab;

    public LogitsProcessor(SamplingConfig config, int vocab) {
        if (vocab <= 0) {
            throw new IllegalArgumentException("vocab must be positive, got " + vocab);
        }
        this.config = config;
        this.vocab = vocab;
    }

    public SamplingConfig config() {
        return config;
    }

    public int vocab() {
        return vocab;
    }

    /** Buffers for one sequence, allocated once; not thread-safe. */
    public Scratch newScratch() {
        return new Scratch(vocab, config.topK());
    }

    /** Per-sequence working memory: nothing of vocabulary size is allocated per token. */
    public static final class Scratch {
        private final float[] work;     // (vocab) the row's logits as they are processed
        private final int[] seenStamp;  // (vocab) call stamp per token: penalise each distinct token once
        private int stamp;
        private final int[] candidates; // (vocab) token ids still in play
        private final long[] sortKeys;  // (vocab) descending-logit, ascending-id keys of candidates
        private final float[] weights;  // (vocab) exp(logit - max) for top-p
        private final double[] binMass; // (NUCLEUS_BINS) top-p mass per logit bin
        private final float[] heap;     // (min(topK, vocab)) min-heap of the k highest logits

        private Scratch(int vocab, int topK) {
            work = new float[vocab];
            seenStamp = new int[vocab];
            candidates = new int[vocab];
            sortKeys = new long[vocab];
            weights = new float[vocab];
            binMass = new double[NUCLEUS_BINS];
            heap = new float[Math.min(topK, vocab)];
        }
    }

    /** Allocating convenience: the distribution of {@code logits} (one row of {@code vocab}). */
    public float[] process(float[] logits, int[] context, int contextLength, Scratch scratch) {
        float[] out = new float[vocab];
        process(logits, 0, context, contextLength, scratch, out);
        return out;
    }

    /**
     * Writes into {@code out} (length {@code >= vocab}) the distribution of the row
     * {@code logits[offset .. offset+vocab)}; the input row is left untouched.
     *
     * @param context       token ids the row conditions on (prompt and generated so far, including
     *                      the path through the draft window), read for the repetition penalty
     * @param contextLength how many leading entries of {@code context} are real
     */
    public void process(float[] logits, int offset, int[] context, int contextLength, Scratch scratch, float[] out) {
        float[] w = scratch.work;
        System.arraycopy(logits, offset, w, 0, vocab);
        Arrays.fill(out, 0, vocab, 0f);

        // repetition penalty
        if (config.repetitionPenalty() != 1f) {
            penalise(w, context, contextLength, scratch);
        }
        // greedy: one-hot at the argmax, no warpers
        if (config.isGreedy()) {
            out[TokenSampler.argmax(w, 0, vocab)] = 1f;
            return;
        }
        // temperature
        float temperature = config.temperature();
        if (temperature != 1f) {
            for (int i = 0; i < vocab; i++) {
                w[i] = w[i] / temperature;
            }
        }
        // top-k: candidates = tokens whose logit is >= the k-th highest
        int count = -1; // -1: every token is a candidate
        int topK = config.topK();
        if (topK > 0 && topK < vocab) {
            float kth = kthHighest(w, topK, scratch.heap);
            count = 0;
            for (int i = 0; i < vocab; i++) {
                if (w[i] >= kth) {
                    scratch.candidates[count++] = i;
                }
            }
        }
        // top-p: keep the most likely prefix of the candidates holding >= topP
        if (config.topP() < 1f) {
            int kept = nucleus(w, count, scratch);
            // softmax over the nucleus, reusing its exp(w - max)
            normalise(scratch.weights, scratch.candidates, kept, out);
            return;
        }
        // softmax over what is left
        softmax(w, scratch.candidates, count, out);
    }

    private void penalise(float[] w, int[] context, int contextLength, Scratch scratch) {
        float penalty = config.repetitionPenalty();
        int stamp = ++scratch.stamp;
        if (stamp == 0) { // wrapped: forget old stamps
            Arrays.fill(scratch.seenStamp, 0);
            stamp = scratch.stamp = 1;
        }
        for (int j = 0; j < contextLength; j++) {
            int token = context[j];
            if (token < 0 || token >= vocab) {
                throw new IllegalArgumentException("context token " + token + " outside vocab " + vocab);
            }
            if (scratch.seenStamp[token] != stamp) {
                scratch.seenStamp[token] = stamp;
                float v = w[token];
                w[token] = v < 0 ? v * penalty : v / penalty;
            }
        }
    }

    /** The k-th highest value of {@code w}, through a min-heap of size k. */
    private static float kthHighest(float[] w, int k, float[] heap) {
        System.arraycopy(w, 0, heap, 0, k);
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, k);
        }
        for (int i = k; i < w.length; i++) {
            if (w[i] > heap[0]) {
                heap[0] = w[i];
                siftDown(heap, 0, k);
            }
        }
        return heap[0];
    }

    private static void siftDown(float[] heap, int i, int size) {
        float v = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (!(heap[child] < v)) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }

    /**
     * Narrows the candidates (all tokens when {@code count < 0}) to HF's nucleus and returns how many
     * are kept in {@code candidates[0..kept)} (in no particular order): in descending logit order
     * (lower token id first on ties), token j is kept while the probability of the tokens ranked
     * above it is {@code < topP}, so at least one always is. Instead of sorting the vocabulary, the
     * tokens are binned by logit below the maximum; the bins above the one where the cumulative mass
     * crosses {@code topP} are kept whole, that bin alone is sorted, the bins below are dropped.
     */
    private int nucleus(float[] w, int count, Scratch scratch) {
        int[] candidates = scratch.candidates;
        float[] weights = scratch.weights;
        double[] binMass = scratch.binMass;
        boolean all = count < 0;
        int n = all ? vocab : count;
        // unnormalised probabilities exp(w - max) of the candidates
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, w[all ? j : candidates[j]]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit of the row is -inf (or NaN)");
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            int token = all ? j : candidates[j];
            float e = (float) Math.exp(w[token] - max);
            weights[token] = e;
            z += e;
        }
        // mass per logit bin, bin 0 holding the maximum
        Arrays.fill(binMass, 0);
        for (int j = 0; j < n; j++) {
            int token = all ? j : candidates[j];
            binMass[bin(max, w[token])] += weights[token];
        }
        double target = config.topP() * z;
        int boundary = NUCLEUS_BINS - 1;
        double above = 0;
        for (int b = 0; b < NUCLEUS_BINS - 1; b++) {
            if (above + binMass[b] >= target) {
                boundary = b;
                break;
            }
            above += binMass[b];
        }
        // keep the bins above the boundary, sort the boundary bin
        long[] keys = scratch.sortKeys;
        int kept = 0;
        int sorted = 0;
        for (int j = 0; j < n; j++) {
            int token = all ? j : candidates[j];
            int b = bin(max, w[token]);
            if (b < boundary) {
                candidates[kept++] = token; // kept <= j: safe in place
            } else if (b == boundary) {
                keys[sorted++] = ((long) ~sortableBits(w[token]) << 32) | token;
            }
        }
        Arrays.sort(keys, 0, sorted);
        for (int i = 0; i < sorted && (kept == 0 || above < target); i++) {
            int token = (int) keys[i];
            candidates[kept++] = token;
            above += weights[token];
        }
        return kept;
    }

    /** Logit bin below the maximum; NaN and logits more than {@link #NUCLEUS_RANGE} below go to the last bin. */
    private static int bin(float max, float logit) {
        float below = max - logit;
        return below < NUCLEUS_RANGE ? (int) (below * (NUCLEUS_BINS - 1) / NUCLEUS_RANGE) : NUCLEUS_BINS - 1;
    }

    /** An int whose signed order is the float order. */
    private static int sortableBits(float v) {
        int bits = Float.floatToIntBits(v);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    private static void normalise(float[] weights, int[] tokens, int count, float[] out) {
        double z = 0;
        for (int j = 0; j < count; j++) {
            z += weights[tokens[j]];
        }
        for (int j = 0; j < count; j++) {
            out[tokens[j]] = (float) (weights[tokens[j]] / z);
        }
    }

    /** Softmax of {@code w} over {@code candidates[0..count)} (every token if {@code count < 0}) into {@code out}. */
    private void softmax(float[] w, int[] candidates, int count, float[] out) {
        int n = count < 0 ? vocab : count;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, w[count < 0 ? j : candidates[j]]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit of the row is -inf (or NaN)");
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            int token = count < 0 ? j : candidates[j];
            double e = Math.exp(w[token] - max);
            out[token] = (float) e;
            z += e;
        }
        float inv = (float) (1.0 / z);
        for (int j = 0; j < n; j++) {
            int token = count < 0 ? j : candidates[j];
            out[token] *= inv;
        }
    }
}
