package dev.mirrorsd.jmh;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;
import dev.mirrorsd.draft.FeatureDraft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
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

/**
 * One step of the feature draft at the default target's shape (hidden 576, 9 / 3 heads of 64,
 * intermediate 1536, a 49,152-token embedding), random weights: what a drafted token costs on one
 * core. {@code cacheOnly}: a catch-up step that skips the head (positions the target verified);
 * {@code withHead}: a drafting step, over {@code draftVocab} head rows.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class FeatureDraftBenchmark {

    @Param({"16384"})
    public int draftVocab;

    @Param({"256"})
    public int context;

    private FeatureDraft.State state;
    private float[] input;
    private float[] g;
    private float[] logits;

    @Setup(Level.Trial)
    public void load() throws IOException {
        ModelConfig smol = new ModelConfig(Architecture.LLAMA, 49152, 576, 1536, 30, 9, 3, 64, 2048, 1e-5f,
                100000f, true, false, 1, new int[] {2});
        SplittableRandom random = new SplittableRandom(3);
        float[] embedding = new float[49152 * 576];
        for (int i = 0; i < embedding.length; i++) {
            embedding[i] = (float) (random.nextGaussian() * 0.05);
        }
        ModelWeights target = new ModelWeights(smol,
                Map.of(ModelWeights.EMBED, new HostTensor(new long[] {49152, 576}, embedding)), "random target");
        int[] d2t = new int[draftVocab];
        for (int i = 0; i < draftVocab; i++) {
            d2t[i] = i;
        }
        Path dir = Files.createTempDirectory("feature-draft-bench");
        RandomFeatureDraft.write(dir, smol, new int[] {24}, d2t, 0.02, 5);
        FeatureDraft draft = FeatureDraft.load(dir, target);
        state = draft.newState(context + 16);
        input = new float[576];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) random.nextGaussian();
        }
        g = new float[576];
        logits = new float[draftVocab];
        for (int p = 1; p < context; p++) {
            state.step(input, 0, true, p % 1000, p, 1, g, null);
        }
    }

    @Benchmark
    public float cacheOnly() {
        state.step(input, 0, true, 17, context, 1, g, null);
        return g[0];
    }

    @Benchmark
    public float withHead() {
        state.step(input, 0, false, 17, context, 1, g, logits);
        return logits[0];
    }
}
