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
 * a k-sized heap (O(V log k), no sort of the vocabulary); top-p sorts only the candidates (the top-k
 * survivors, or, without top-k, the tokens above a probability threshold lowered until they hold
 * at least {@code topP} of the mass). Ties in the top-p order rank the lower token id first.
 *
 * <p>Thread-safety: immutable and shareable; each sequence brings its own {@link Scratch}.
 */
public final class LogitsProcessor {

    /** Probability thresholds tried for top-p candidates before falling back to the whole vocabulary. */
    private static final double[] NUCLEUS_THRESHOLDS = {0x1p-10, 0x1p-18, 0x1p-26};

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
        private final float[] heap;     // (min(topK, vocab)) min-heap of the k highest logits

        private Scratch(int vocab, int topK) {
            work = new float[vocab];
            seenStamp = new int[vocab];
            candidates = new int[vocab];
            sortKeys = new long[vocab];
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
            count = nucleus(w, count, scratch);
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
     * Sorts the kept candidates (all tokens when {@code count < 0}) by descending logit and returns
     * how many of them form HF's nucleus: token j is kept while the probability of the tokens ranked
     * above it is {@code < topP}, so at least one always is.
     */
    private int nucleus(float[] w, int count, Scratch scratch) {
        int[] candidates = scratch.candidates;
        // probabilities over the current support: max and normaliser
        double max = Double.NEGATIVE_INFINITY;
        int n = count < 0 ? vocab : count;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, w[count < 0 ? j : candidates[j]]);
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            z += Math.exp(w[count < 0 ? j : candidates[j]] - max);
        }
        double topP = config.topP();
        if (count < 0) {
            // no top-k: gather tokens above a threshold until they hold >= topP of the mass
            count = -1;
            for (double threshold : NUCLEUS_THRESHOLDS) {
                double minLogit = max + Math.log(threshold * z);
                int c = 0;
                double mass = 0;
                for (int i = 0; i < vocab; i++) {
                    if (w[i] >= minLogit) {
                        candidates[c++] = i;
                        mass += Math.exp(w[i] - max);
                    }
                }
                if (mass / z >= topP) {
                    count = c;
                    break;
                }
            }
            if (count < 0) {
                for (int i = 0; i < vocab; i++) {
                    candidates[i] = i;
                }
                count = vocab;
            }
        }
        // sort candidates: descending logit, then ascending token id
        long[] keys = scratch.sortKeys;
        for (int j = 0; j < count; j++) {
            int token = candidates[j];
            keys[j] = ((long) ~sortableBits(w[token]) << 32) | token;
        }
        Arrays.sort(keys, 0, count);
        int kept = 0;
        double above = 0;
        while (kept < count && (kept == 0 || above < topP)) {
            int token = (int) keys[kept];
            candidates[kept] = token;
            above += Math.exp(w[token] - max) / z;
            kept++;
        }
        return kept;
    }

    /** An int whose signed order is the float order. */
    private static int sortableBits(float v) {
        int bits = Float.floatToIntBits(v);
        return bits ^ ((bits >> 31) & 0x7fffffff);
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
