package dev.mirrorsd.specbench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures sustained memory read bandwidth: every thread streams through its own slice of an
 * array far larger than the caches. This is the floor's denominator: batch-1 decoding reads every
 * weight once per token, so tokens/s cannot exceed bandwidth / weight bytes.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {
    }

    /** Best of {@code repeats} passes over {@code bytes} of memory with {@code threads} threads, in bytes/s. */
    public static double readBytesPerSecond(long bytes, int threads, int repeats) throws Exception {
        int perThread = (int) Math.min(Integer.MAX_VALUE - 8, bytes / 8 / threads);
        List<long[]> slices = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long[] slice = new long[perThread];
            for (int i = 0; i < slice.length; i += 512) {
                slice[i] = i; // touch every page so the first pass does not time page faults
            }
            slices.add(slice);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double best = 0;
            long sink = 0;
            for (int r = 0; r < repeats; r++) {
                long start = System.nanoTime();
                List<Future<Long>> parts = new ArrayList<>();
                for (long[] slice : slices) {
                    parts.add(pool.submit(() -> xor(slice)));
                }
                for (Future<Long> part : parts) {
                    sink ^= part.get();
                }
                long nanos = System.nanoTime() - start;
                best = Math.max(best, (double) perThread * 8 * threads / (nanos / 1e9));
            }
            if (sink == 42) {
                System.out.print(""); // keeps the reads observable to the JIT
            }
            return best;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long xor(long[] values) {
        long a = 0;
        long b = 0;
        long c = 0;
        long d = 0;
        for (int i = 0; i + 3 < values.length; i += 4) {
            a ^= values[i];
            b ^= values[i + 1];
            c ^= values[i + 2];
            d ^= values[i + 3];
        }
        return a ^ b ^ c ^ d;
    }
}
