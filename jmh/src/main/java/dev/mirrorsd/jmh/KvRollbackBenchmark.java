package dev.mirrorsd.jmh;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.testing.RandomWeights;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * KV-cache rollback after verification on the DJL (PyTorch CPU) engine, on a random model of
 * SmolLM2-135M's shape (30 layers, hidden 576, 9 heads / 3 KV heads of 64) with the vocabulary
 * cut to 512 to keep memory small (rollback does not touch the vocabulary).
 *
 * <p>Before every call the cache holds {@code context} positions plus a verification window of 9
 * rows (gamma 8) run in the untimed per-invocation setup. {@code truncate}: a chain verdict keeping
 * 4 window rows (an O(1) length change). {@code compact}: a tree verdict keeping window rows
 * {@code 0, 2, 5, 7}, gathered to the front of the window in every layer's keys and values.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "-Dai.djl.offline=true")
public class KvRollbackBenchmark {

    private static final int WINDOW = 9;
    private static final int[] KEPT_TREE_ROWS = {0, 2, 5, 7};

    @Param({"256"})
    public int context;

    private CausalLM model;
    private Sequence sequence;
    private int[] windowTokens;

    @Setup(Level.Trial)
    public void load() {
        ModelConfig smol = new ModelConfig(Architecture.LLAMA, 512, 576, 1536, 30, 9, 3, 64, 2048, 1e-5f,
                100000f, true, false, 1, new int[] {2});
        model = Engines.load(ModelSource.of(RandomWeights.of(smol, 5)), "pytorch:cpu");
        sequence = model.newSequence(context + WINDOW);
        int[] prompt = new int[context];
        for (int i = 0; i < context; i++) {
            prompt[i] = (i * 37) % 512;
        }
        sequence.forward(Window.chain(prompt, 0), context - 1);
        windowTokens = new int[WINDOW];
        for (int i = 0; i < WINDOW; i++) {
            windowTokens[i] = (i * 11) % 512;
        }
    }

    /** Back to {@code context} cached positions, then a fresh verification window on top. */
    @Setup(Level.Invocation)
    public void runWindow() {
        sequence.truncate(context);
        sequence.forward(Window.chain(windowTokens, context), WINDOW - 1);
    }

    @TearDown(Level.Trial)
    public void close() {
        sequence.close();
        model.close();
    }

    @Benchmark
    public int truncate() {
        sequence.truncate(context + 4);
        return sequence.length();
    }

    @Benchmark
    public int compact() {
        sequence.compact(context, KEPT_TREE_ROWS);
        return sequence.length();
    }
}
