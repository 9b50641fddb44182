package dev.mirrorsd.jmh;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.target.verify.GreedyVerifier;
import dev.mirrorsd.target.verify.RejectionVerifier;
import dev.mirrorsd.target.verify.TargetScores;
import dev.mirrorsd.target.verify.Verifier;
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
 * Verification of one round, vocabulary 49152 (SmolLM2). Shapes: chains of gamma 4 and 8, and a
 * tree of 8 rows (two branches of depth 4 under the root, {@code parents = -1,-1,0,1,2,3,4,5}).
 *
 * <p>Greedy: raw logits; draft tokens equal the target's argmax for the first half of the path, so
 * the verifier walks gamma/2 deep and emits a correction. Rejection: the target rows are softmaxed
 * random logits, every draft row has its own random distribution q (sharp, argmax token drafted);
 * the acceptance ratios p/q are then small, so most rounds reject early and pay one residual
 * (O(vocab)) plus a sample: the expensive path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(1)
public class VerifierBenchmark {

    private static final int VOCAB = 49152;

    /** Draft rows' parents per shape. */
    public enum Shape {
        CHAIN4(-1, 0, 1, 2),
        CHAIN8(-1, 0, 1, 2, 3, 4, 5, 6),
        TREE8(-1, -1, 0, 1, 2, 3, 4, 5);

        final int[] parents;

        Shape(int... parents) {
            this.parents = parents;
        }
    }

    @Param({"CHAIN4", "CHAIN8", "TREE8"})
    public Shape shape;

    private DraftProposal proposal;
    private TargetScores logits;
    private TargetScores probabilities;
    private final GreedyVerifier greedy = new GreedyVerifier();
    private final Verifier rejection = new RejectionVerifier();
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup
    public void setUp() {
        SplittableRandom init = new SplittableRandom(7);
        int[] parents = shape.parents;
        int rows = parents.length + 1;
        float[] raw = randomLogits(init, rows);
        float[] probs = raw.clone();
        for (int r = 0; r < rows; r++) {
            softmax(probs, r * VOCAB);
        }
        logits = new TargetScores(rows, VOCAB, raw, false);
        probabilities = TargetScores.ofProbabilities(rows, VOCAB, probs);
        // draft tokens: the target's argmax at the parent for the first half of the rows, else a miss
        int[] tokens = new int[parents.length];
        float[][] q = new float[parents.length][];
        for (int r = 0; r < parents.length; r++) {
            int best = logits.argmax(TargetScores.rowAfter(parents[r]));
            q[r] = randomLogits(init, 1);
            softmax(q[r], 0);
            tokens[r] = r < parents.length / 2 ? best : (best + 1) % VOCAB;
            q[r][tokens[r]] = 0.5f; // a sharp draft: its token carries half the (unnormalised) mass
            normalise(q[r]);
        }
        proposal = DraftProposal.tree(tokens, parents, q);
    }

    private static float[] randomLogits(SplittableRandom random, int rows) {
        float[] v = new float[rows * VOCAB];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * 3);
        }
        return v;
    }

    private static void softmax(float[] v, int offset) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < VOCAB; i++) {
            max = Math.max(max, v[offset + i]);
        }
        double z = 0;
        for (int i = 0; i < VOCAB; i++) {
            v[offset + i] = (float) Math.exp(v[offset + i] - max);
            z += v[offset + i];
        }
        for (int i = 0; i < VOCAB; i++) {
            v[offset + i] /= (float) z;
        }
    }

    private static void normalise(float[] v) {
        double z = 0;
        for (float x : v) {
            z += x;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) z;
        }
    }

    @Benchmark
    public Verdict greedy() {
        return greedy.verify(proposal, logits, random);
    }

    @Benchmark
    public Verdict rejection() {
        return rejection.verify(proposal, probabilities, random);
    }
}
