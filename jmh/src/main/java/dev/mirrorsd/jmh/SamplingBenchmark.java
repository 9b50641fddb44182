package dev.mirrorsd.jmh;

import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One sampled token: {@link LogitsProcessor#process} (temperature 0.8, then top-k and/or top-p,
 * softmax) into a preallocated row, then {@link TokenSampler#sample}. Logits are Gaussian with
 * std 3 (a realistic spread: top-p 0.9 keeps a few hundred to a few thousand tokens).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(1)
public class SamplingBenchmark {

    @Param({"8192", "131072"})
    public int vocab;

    /** The warpers after temperature 0.8. */
    public enum Warpers {
        TOP_K_50(50, 1f),
        TOP_P_90(0, 0.9f),
        TOP_K_50_TOP_P_90(50, 0.9f);

        final int topK;
        final float topP;

        Warpers(int topK, float topP) {
            this.topK = topK;
            this.topP = topP;
        }
    }

    @Param({"TOP_K_50", "TOP_P_90", "TOP_K_50_TOP_P_90"})
    public Warpers warpers;

    private LogitsProcessor processor;
    private LogitsProcessor.Scratch scratch;
    private float[] logits;
    private float[] out;
    private final int[] context = new int[0];
    private final SplittableRandom random = new SplittableRandom(3);

    @Setup
    public void setUp() {
        processor = new LogitsProcessor(SamplingConfig.sampling(0.8f, warpers.topK, warpers.topP, 1), vocab);
        scratch = processor.newScratch();
        SplittableRandom init = new SplittableRandom(11);
        logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (init.nextGaussian() * 3);
        }
        out = new float[vocab];
    }

    @Benchmark
    public int processAndSample() {
        processor.process(logits, 0, context, 0, scratch, out);
        return TokenSampler.sample(out, 0, vocab, random);
    }
}
