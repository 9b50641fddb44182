package dev.mirrorsd.placement;

import ai.djl.Device;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.engine.onnx.OnnxCausalLM;
import dev.mirrorsd.core.engine.onnx.OnnxOptions;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measurement, not a test: does a second pipeline on the other core slow the target down?
 * Runs the target token by token on one libtorch thread, alone and then beside a loop of forwards
 * on a second model in another thread, and prints the target's per-token latency for each.
 *
 * <p>Usage: {@code CoRunProbe TARGET_GGUF ONNX_DIR [tokens]}.
 */
public final class CoRunProbe {

    private CoRunProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path targetPath = Path.of(args[0]);
        Path onnxDir = Path.of(args[1]);
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 120;
        try (CausalLM target = DjlCausalLM.load(Checkpoint.open(targetPath).weights(), Device.cpu(), 1)) {
            report("warm-up (discarded)", perTokenNanos(target, tokens / 2), 0, 0);
            report("target alone", perTokenNanos(target, tokens), 0, 0);
            for (int ortThreads : new int[] {1, 0}) {
                try (CausalLM neighbour = OnnxCausalLM.load(onnxDir, new OnnxOptions(
                        dev.mirrorsd.core.engine.onnx.OnnxProvider.CPU, 0, ortThreads, 1))) {
                    coRun(target, neighbour, tokens, "beside onnxruntime:cpu loop, intra-op " + (ortThreads == 0 ? "default" : ortThreads));
                }
            }
            // the same neighbour work on libtorch: shares the process-wide intra-op setting (1 here)
            try (CausalLM neighbour = target.firstLayers(2)) {
                coRun(target, neighbour, tokens, "beside pytorch:cpu loop (target's first 2 layers)");
            }
            report("target alone again", perTokenNanos(target, tokens), 0, 0);
        }
    }

    private static void coRun(CausalLM target, CausalLM neighbour, int tokens, String label) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong forwards = new AtomicLong();
        Thread loop = new Thread(() -> {
            while (!stop.get()) {
                try (Sequence seq = neighbour.newSequence(64)) {
                    for (int i = 0; i < 48 && !stop.get(); i++) {
                        seq.forward(Window.chain(new int[] {(i * 7 + 3) % 200}, seq.length()), 0);
                        forwards.incrementAndGet();
                    }
                }
            }
        }, "neighbour");
        loop.start();
        Thread.sleep(300);
        long from = forwards.get();
        long start = System.nanoTime();
        long[] nanos = perTokenNanos(target, tokens);
        double seconds = (System.nanoTime() - start) / 1e9;
        long done = forwards.get() - from;
        stop.set(true);
        loop.join();
        report(label, nanos, done, seconds);
    }

    /** Prefills 32 tokens, then times {@code tokens} one-token forwards. */
    static long[] perTokenNanos(CausalLM model, int tokens) {
        long[] nanos = new long[tokens];
        try (Sequence seq = model.newSequence(32 + tokens + 1)) {
            int[] prompt = new int[32];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 100 + i;
            }
            seq.forward(Window.chain(prompt, 0), prompt.length - 1);
            for (int t = 0; t < tokens; t++) {
                long start = System.nanoTime();
                seq.forward(Window.chain(new int[] {(t * 31 + 7) % 1000}, seq.length()), 0);
                nanos[t] = System.nanoTime() - start;
            }
        }
        return nanos;
    }

    private static void report(String label, long[] nanos, long neighbourForwards, double seconds) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2] / 1e6;
        double p90 = sorted[(int) (sorted.length * 0.9)] / 1e6;
        double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
        String neighbour = seconds > 0 ? String.format(Locale.ROOT, "; neighbour %.0f forwards/s", neighbourForwards / seconds) : "";
        System.out.printf(Locale.ROOT, "%-58s median %6.2f ms  p90 %6.2f ms  mean %6.2f ms%s%n", label, median, p90, mean, neighbour);
    }
}
