package dev.mirrorsd.engine.java.bench;

import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Greedy decode speed and the cost of a verification window, for several engines in one process
 * so that a noisy machine treats them alike. Engines are named as plans name them and loaded
 * through {@link Engines}, so any installed engine can be compared.
 *
 * <p>Usage: {@code DecodeSpeed MODEL.gguf [engines=java:cpu,pytorch:cpu] [threads=1,2] [tokens=64]
 * [rounds=3] [window=8] [context=1000,4000] [prefill=5000]}. Prints, per engine and thread count,
 * the median over rounds of decode tokens/s and of the time of one pass over a {@code window}-row
 * chain divided by that of a one-row pass at the same position. With {@code context}, also the
 * decode tokens/s after a prompt of each of those lengths; with {@code prefill}, the time to the
 * first token's logits for a prompt of that length (one round: it takes seconds). Long prompts
 * repeat a fixed run of token ids: the engine's cost does not depend on which ids they are.
 */
public final class DecodeSpeed {
    private static final int[] PROMPT = {1, 504, 3162, 282, 4235, 314, 253, 2358, 30, 216, 504, 3162, 282, 4235, 314, 253};

    private DecodeSpeed() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: DecodeSpeed MODEL.gguf [engines=java:cpu,pytorch:cpu] [threads=1,2] [tokens=64]"
                    + " [rounds=3] [window=8]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        List<String> engines = List.of("java:cpu", "pytorch:cpu");
        int[] threads = {1, 2};
        int tokens = 64;
        int rounds = 3;
        int window = 8;
        int[] contexts = {};
        int prefill = 0;
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            switch (kv[0]) {
                case "engines" -> engines = List.of(kv[1].split(","));
                case "threads" -> threads = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "tokens" -> tokens = Integer.parseInt(kv[1]);
                case "rounds" -> rounds = Integer.parseInt(kv[1]);
                case "window" -> window = Integer.parseInt(kv[1]);
                case "context" -> contexts = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "prefill" -> prefill = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.printf(Locale.ROOT, "model %s, %d processors, load average %.2f%n", model,
                Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println("engine        threads  decode tok/s  window" + window + "/row1  (medians of " + rounds + ")");
        for (int t : threads) {
            for (String engine : engines) {
                try (CausalLM lm = Engines.load(ModelSource.of(model), DeviceId.parse(engine), t)) {
                    double[] speeds = new double[rounds];
                    double[] ratios = new double[rounds];
                    decode(lm, tokens); // warm-up: JIT, caches
                    for (int r = 0; r < rounds; r++) {
                        speeds[r] = decode(lm, tokens);
                        ratios[r] = windowCost(lm, window);
                    }
                    System.out.printf(Locale.ROOT, "%-13s %7d  %12.1f  %12.2f%n", engine, t, median(speeds), median(ratios));
                    for (int n : contexts) {
                        double[] atContext = new double[rounds];
                        for (int r = 0; r < rounds; r++) {
                            atContext[r] = decode(lm, prompt(n), tokens);
                        }
                        System.out.printf(Locale.ROOT, "%-13s %7d  %12.1f  at context %d%n", engine, t,
                                median(atContext), n);
                    }
                    if (prefill > 0) {
                        System.out.printf(Locale.ROOT, "%-13s %7d  prefill of %d tokens to the first logits: %.2f s%n",
                                engine, t, prefill, prefillSeconds(lm, prompt(prefill)));
                    }
                }
            }
        }
    }

    private static double decode(CausalLM lm, int tokens) {
        return decode(lm, PROMPT, tokens);
    }

    /** Tokens/s of {@code tokens} greedy one-token steps after {@code prompt}. */
    private static double decode(CausalLM lm, int[] prompt, int tokens) {
        try (Sequence s = lm.newSequence(prompt.length + tokens + 1)) {
            Logits logits = s.forward(Window.chain(prompt, 0), prompt.length - 1);
            long start = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                logits = s.forward(Window.chain(new int[] {logits.argmax(0)}, s.length()), 0);
            }
            return tokens / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** {@code n} tokens: the fixed prompt repeated. */
    private static int[] prompt(int n) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = PROMPT[i % PROMPT.length];
        }
        return tokens;
    }

    /** Seconds from an empty sequence to the logits of the last row of {@code prompt}. */
    private static double prefillSeconds(CausalLM lm, int[] prompt) {
        try (Sequence s = lm.newSequence(prompt.length + 1)) {
            long start = System.nanoTime();
            s.forward(Window.chain(prompt, 0), prompt.length - 1).argmax(0);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /**
     * Time of a {@code rows}-row chain pass over the time of a one-row pass, both after the prompt.
     * The first {@code repeats} pairs are not timed: decoding never runs the window kernels, which
     * are still interpreted, ten times slower, until the JIT has compiled them.
     */
    private static double windowCost(CausalLM lm, int rows) {
        int[] chain = new int[rows];
        Arrays.fill(chain, 504);
        int repeats = 16;
        try (Sequence s = lm.newSequence(PROMPT.length + rows)) {
            s.forward(Window.chain(PROMPT, 0), PROMPT.length - 1);
            List<Long> one = new ArrayList<>();
            List<Long> many = new ArrayList<>();
            for (int i = -repeats; i < repeats; i++) {
                long t0 = System.nanoTime();
                s.forward(Window.chain(new int[] {504}, PROMPT.length), 0);
                long t1 = System.nanoTime();
                s.truncate(PROMPT.length);
                s.forward(Window.chain(chain, PROMPT.length), 0);
                long t2 = System.nanoTime();
                s.truncate(PROMPT.length);
                if (i >= 0) {
                    one.add(t1 - t0);
                    many.add(t2 - t1);
                }
            }
            return median(many) / median(one);
        }
    }

    private static double median(List<Long> values) {
        return median(values.stream().mapToDouble(Long::doubleValue).toArray());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
