package dev.mirrorsd.placement;

import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * <p>Usage: {@code CoRunProbe TARGET_GGUF ONNX_DIR [tokens per round] [rounds]}. CPU time is the
 * target thread's own (libtorch with one intra-op thread computes on the calling thread): wall time
 * above it is time spent descheduled, CPU time above the alone case is interference (caches,
 * memory bandwidth).
 */
public final class CoRunProbe {

    private CoRunProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path targetPath = Path.of(args[0]);
        Path onnxDir = Path.of(args[1]);
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        String[] labels = {"target alone", "beside onnxruntime:cpu, intra-op 1", "beside onnxruntime:cpu, intra-op default",
                "beside pytorch:cpu (target's first 2 layers)"};
        Sample[][] samples = new Sample[labels.length][rounds];
        DeviceId torchCpu = DeviceId.parse("pytorch:cpu");
        DeviceId ortCpu = DeviceId.parse("onnxruntime:cpu");
        try (CausalLM target = Engines.load(ModelSource.of(targetPath), torchCpu, 1);
             CausalLM ort1 = Engines.load(ModelSource.of(onnxDir), ortCpu, 1);
             CausalLM ortDefault = Engines.load(ModelSource.of(onnxDir), ortCpu, 0)) {
            CausalLM torchNeighbour = target.firstLayers(2);
            perTokenNanos(target, tokens, new long[tokens]); // warm-up
            // conditions interleaved round by round, so drifting load on the machine hits all alike
            for (int r = 0; r < rounds; r++) {
                samples[0][r] = alone(target, tokens);
                samples[1][r] = coRun(target, ort1, tokens);
                samples[2][r] = coRun(target, ortDefault, tokens);
                samples[3][r] = coRun(target, torchNeighbour, tokens);
            }
        }
        for (int c = 0; c < labels.length; c++) {
            report(labels[c], samples[c]);
        }
    }

    /** Per-token wall and CPU nanoseconds of the target, and the neighbour's forwards per second. */
    record Sample(long[] wallNanos, long[] cpuNanos, double neighbourPerSecond) {
    }

    private static Sample alone(CausalLM target, int tokens) {
        long[] cpu = new long[tokens];
        return new Sample(perTokenNanos(target, tokens, cpu), cpu, 0);
    }

    private static Sample coRun(CausalLM target, CausalLM neighbour, int tokens) throws InterruptedException {
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
        Thread.sleep(200);
        long from = forwards.get();
        long start = System.nanoTime();
        long[] cpu = new long[tokens];
        long[] wall = perTokenNanos(target, tokens, cpu);
        double seconds = (System.nanoTime() - start) / 1e9;
        long done = forwards.get() - from;
        stop.set(true);
        loop.join();
        return new Sample(wall, cpu, done / seconds);
    }

    /** Prefills 32 tokens, then times {@code tokens} one-token forwards. */
    static long[] perTokenNanos(CausalLM model, int tokens, long[] cpuNanos) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] nanos = new long[tokens];
        try (Sequence seq = model.newSequence(32 + tokens + 1)) {
            int[] prompt = new int[32];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 100 + i;
            }
            seq.forward(Window.chain(prompt, 0), prompt.length - 1);
            for (int t = 0; t < tokens; t++) {
                long cpuStart = threads.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                seq.forward(Window.chain(new int[] {(t * 31 + 7) % 1000}, seq.length()), 0);
                nanos[t] = System.nanoTime() - start;
                cpuNanos[t] = threads.getCurrentThreadCpuTime() - cpuStart;
            }
        }
        return nanos;
    }

    private static void report(String label, Sample[] rounds) {
        StringBuilder perRound = new StringBuilder();
        long[] allWall = new long[0];
        long[] allCpu = new long[0];
        double neighbour = 0;
        for (Sample s : rounds) {
            perRound.append(String.format(Locale.ROOT, " %.1f", median(s.wallNanos()) / 1e6));
            allWall = concat(allWall, s.wallNanos());
            allCpu = concat(allCpu, s.cpuNanos());
            neighbour += s.neighbourPerSecond() / rounds.length;
        }
        System.out.printf(Locale.ROOT, "%-46s wall median %6.2f ms (per round:%s)  cpu median %6.2f ms%s%n", label,
                median(allWall) / 1e6, perRound, median(allCpu) / 1e6,
                neighbour > 0 ? String.format(Locale.ROOT, "  neighbour %.0f forwards/s", neighbour) : "");
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
