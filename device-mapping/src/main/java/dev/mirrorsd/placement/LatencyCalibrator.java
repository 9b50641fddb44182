package dev.mirrorsd.placement;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.engine.DeviceId;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Measures a model's forward latency per window size: after a prefill, forwards a chain of
 * {@code rows} tokens, takes the logits of every row (as verification does), and drops those rows
 * again; the median of several repetitions per size, after three unmeasured one-row forwards and
 * one unmeasured warm-up per size.
 *
 * <p>Not thread-safe; measure one model at a time, with nothing else running, for numbers that
 * mean something.
 */
public final class LatencyCalibrator {

    private final int[] windowRows;
    private final int repetitions;
    private final int prefillTokens;

    private LatencyCalibrator(int[] windowRows, int repetitions, int prefillTokens) {
        if (windowRows.length == 0 || Arrays.stream(windowRows).anyMatch(r -> r < 1)) {
            throw new IllegalArgumentException("window sizes must be >= 1: " + Arrays.toString(windowRows));
        }
        if (repetitions < 1 || prefillTokens < 1) {
            throw new IllegalArgumentException("repetitions and prefill must be >= 1");
        }
        this.windowRows = windowRows.clone();
        this.repetitions = repetitions;
        this.prefillTokens = prefillTokens;
    }

    public static LatencyCalibrator of(int[] windowRows, int repetitions, int prefillTokens) {
        return new LatencyCalibrator(windowRows, repetitions, prefillTokens);
    }

    /** Windows of 1, 2, 4, 8 and 16 rows, 5 repetitions, after a 32-token prefill. */
    public static LatencyCalibrator quick() {
        return new LatencyCalibrator(new int[] {1, 2, 4, 8, 16}, 5, 32);
    }

    /** Medians for {@code model}, recorded under {@code device}. */
    public ForwardLatency measure(CausalLM model, DeviceId device) {
        int maxRows = Arrays.stream(windowRows).max().orElseThrow();
        int vocab = model.config().vocabSize();
        Map<Integer, Long> medians = new TreeMap<>();
        try (Sequence seq = model.newSequence(prefillTokens + maxRows)) {
            seq.forward(Window.chain(tokens(prefillTokens, vocab, 1), 0), prefillTokens - 1);
            // JIT, allocator and engine caches settle before the first size is timed
            for (int i = 0; i < 3; i++) {
                seq.forward(Window.chain(tokens(1, vocab, 3), prefillTokens), 0);
                seq.truncate(prefillTokens);
            }
            for (int rows : windowRows) {
                long[] nanos = new long[repetitions];
                int[] window = tokens(rows, vocab, 7);
                for (int rep = -1; rep < repetitions; rep++) {
                    long start = System.nanoTime();
                    seq.forward(Window.chain(window, prefillTokens), 0);
                    long elapsed = System.nanoTime() - start;
                    seq.truncate(prefillTokens);
                    if (rep >= 0) {
                        nanos[rep] = elapsed;
                    }
                }
                Arrays.sort(nanos);
                medians.put(rows, nanos[repetitions / 2]);
            }
        }
        return ForwardLatency.of(device, model.config().numLayers(), medians);
    }

    private static int[] tokens(int n, int vocab, int seed) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = (seed + 31 * i) % vocab;
        }
        return t;
    }
}
