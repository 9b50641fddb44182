package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.testing.ChiSquare;
import dev.mirrorsd.draft.DynamicTreeDrafter;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.draft.ModelDrafter;
import dev.mirrorsd.draft.ModelMirrorDrafter;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.draft.FeatureDrafter;
import dev.mirrorsd.draft.FeatureMirrorDrafter;
import dev.mirrorsd.draft.LookupFirstDrafter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sampled output must have the target's joint distribution, not only its marginals: the first
 * three tokens of a request (the prefill's token, then tokens the verifier emits) are counted over
 * every one of the 64 triples of a 4-token vocabulary and compared, by Pearson's chi-square, with
 * the exact joint computed from the target's own probabilities. A request whose draws are not
 * independent (two random streams of one seed, say: the token after the prefill and the first
 * rejection test then draw the same uniform) keeps plausible marginals but skews the joint, and
 * only a joint test sees it.
 *
 * <p>The models are {@link MarkovLM} tables, so a request costs microseconds and tens of thousands
 * of them resolve the joint. The draft is a different table from the target's, so that rejections
 * are frequent. The test's own seeds are fixed: it is deterministic. The same test must reject a
 * control sampler that reuses one uniform for two draws, or it could not see the fault it guards.
 */
class SampledJointDistributionTest {
    private static final int VOCAB = 4;
    private static final int TOKENS = 3;
    private static final int CELLS = 64; // VOCAB^TOKENS
    private static final int SAMPLES = 20_000;
    /** A strategy fails when the chi-square p-value falls below it. */
    private static final double ALPHA = 1e-3;
    private static final int[] PROMPT = {2, 0, 3};

    private static final MarkovLM TARGET = MarkovLM.random(VOCAB, 31, 1.5);
    private static final MarkovLM DRAFT = MarkovLM.random(VOCAB, 32, 1.5);
    private static final double[] EXACT = exactJoint();

    private static GenerationConfig config(long seed) {
        return GenerationConfig.defaults().withMaxNewTokens(TOKENS).withIgnoreEos(true).withNumAssistantTokens(2)
                .withSampling(SamplingConfig.sampling(1f, 0, 1f, seed));
    }

    /** P(t1, t2, t3 | prompt), cell {@code (t1 * VOCAB + t2) * VOCAB + t3}, through the pipeline's own processor. */
    private static double[] exactJoint() {
        LogitsProcessor processor = new LogitsProcessor(config(0).sampling(), VOCAB);
        LogitsProcessor.Scratch scratch = processor.newScratch();
        double[] joint = new double[CELLS];
        int[] context = Arrays.copyOf(PROMPT, PROMPT.length + TOKENS);
        for (int cell = 0; cell < CELLS; cell++) {
            double p = 1;
            for (int k = 0; k < TOKENS; k++) {
                int length = PROMPT.length + k;
                float[] row = processor.process(TARGET.logitsAfter(context, length), context, length, scratch);
                int token = digit(cell, k);
                p *= row[token];
                context[length] = token;
            }
            joint[cell] = p;
        }
        return joint;
    }

    /** The k-th token of a cell (k = 0: the first). */
    private static int digit(int cell, int k) {
        for (int i = TOKENS - 1; i > k; i--) {
            cell /= VOCAB;
        }
        return cell % VOCAB;
    }

    private static int cell(int[] tokens) {
        int cell = 0;
        for (int k = 0; k < TOKENS; k++) {
            cell = cell * VOCAB + tokens[k];
        }
        return cell;
    }

    /** Counts of the first three tokens over SAMPLES requests seeded {@code seedBase + i}. */
    private static long[] counts(LongFunction<int[]> request, long seedBase) {
        long[] counts = new long[CELLS];
        for (int i = 0; i < SAMPLES; i++) {
            int[] tokens = request.apply(seedBase + i);
            assertEquals(TOKENS, tokens.length, "a request of " + TOKENS + " tokens returned " + tokens.length);
            counts[cell(tokens)]++;
        }
        return counts;
    }

    private static LongFunction<int[]> requests(Generator generator) {
        return seed -> generator.generateFromIds(PROMPT, config(seed), TokenListener.NONE, new Cancellation())
                .tokenIds();
    }

    /** Pearson's chi-square of counts against the exact joint, and its p-value. */
    private record Fit(double statistic, int df, double p) {
        @Override
        public String toString() {
            return String.format("chi-square %.1f, df %d, p = %.3g", statistic, df, p);
        }
    }

    /** The fit of the counts to the exact joint; cells expecting fewer than 5 are pooled. */
    private static Fit fit(long[] observed) {
        double statistic = 0;
        int cells = 0;
        long pooledObserved = 0;
        double pooledExpected = 0;
        for (int c = 0; c < CELLS; c++) {
            double expected = SAMPLES * EXACT[c];
            if (expected < 5) {
                pooledObserved += observed[c];
                pooledExpected += expected;
                continue;
            }
            statistic += (observed[c] - expected) * (observed[c] - expected) / expected;
            cells++;
        }
        if (pooledExpected > 0) {
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            cells++;
        }
        return new Fit(statistic, cells - 1, ChiSquare.pValue(statistic, cells - 1));
    }

    private static void assertJointIsTheTargets(String strategy, LongFunction<int[]> request, long seedBase) {
        long start = System.nanoTime();
        Fit fit = fit(counts(request, seedBase));
        System.out.printf("%s: joint of the first %d tokens, %s (%d requests, %d ms)%n", strategy, TOKENS, fit,
                SAMPLES, (System.nanoTime() - start) / 1_000_000);
        assertTrue(fit.p() > ALPHA, strategy + ": the joint distribution of the first " + TOKENS
                + " sampled tokens differs from the target's (" + fit + ")");
    }

    @Test
    void autoregressiveSamplingShouldHaveTheTargetsJointDistribution() {
        // checks the exact joint and the test itself: no draft, one draw per token
        Generator generator = Generator.of(TARGET, new IdTokenizer(VOCAB), null);
        assertJointIsTheTargets("autoregressive", requests(generator), 1_000_000);
    }

    @Test
    void serialSpeculativeSamplingShouldHaveTheTargetsJointDistribution() {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new ModelDrafter(DRAFT, null, VOCAB, 0f));
        assertJointIsTheTargets("draft (chain)", requests(generator), 2_000_000);
    }

    /** A random feature draft reading the target's stand-in hidden states after its first layer. */
    private static FeatureDraft featureDraft(Path dir) throws IOException {
        RandomFeatureDraft.write(dir, TARGET.config(), new int[] {1}, new int[] {0, 1, 2, 3}, 0.8, 34);
        return FeatureDraft.load(dir, RandomWeights.of(TARGET.config(), 33));
    }

    @Test
    void featureDraftSamplingShouldHaveTheTargetsJointDistribution(@TempDir Path dir) throws IOException {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new FeatureDrafter(featureDraft(dir)));
        assertJointIsTheTargets("feature draft (chain)", requests(generator), 4_000_000);
    }

    /** One-token repeats are frequent in a 4-token vocabulary: rounds mix lookups and drafted chains. */
    @Test
    void lookupFirstSamplingShouldHaveTheTargetsJointDistribution(@TempDir Path dir) throws IOException {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new LookupFirstDrafter(new FeatureDrafter(featureDraft(dir)), 3, 1, false));
        assertJointIsTheTargets("feature draft after prompt lookup", requests(generator), 4_000_000);
    }

    /** Rounds that repeat a token graft the lookup's continuation onto the draft's tree. */
    @Test
    void lookupJoiningATreeSamplingShouldHaveTheTargetsJointDistribution(@TempDir Path dir) throws IOException {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new LookupFirstDrafter(new FeatureDrafter(featureDraft(dir), 2, 5), 3, 1, true));
        assertJointIsTheTargets("feature draft tree joined by prompt lookup", requests(generator), 4_000_000);
    }

    @Test
    void featureDraftTreeSamplingShouldHaveTheTargetsJointDistribution(@TempDir Path dir) throws IOException {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new FeatureDrafter(featureDraft(dir), 2, 5));
        assertJointIsTheTargets("feature draft (dynamic tree)", requests(generator), 6_000_000);
    }

    @Test
    void mirrorWithAFeatureDraftShouldHaveTheTargetsJointDistribution(@TempDir Path dir) throws IOException {
        Generator generator = Generator.mirror(TARGET, new IdTokenizer(VOCAB), null,
                new FeatureMirrorDrafter(featureDraft(dir)), MirrorOptions.defaults().withExitLayer(1).withKappa(2)
                        .withNarrowEarlyExit(false).withMissPolicy(MissPolicy.REDRAFT));
        assertJointIsTheTargets("mirror with the feature draft", requests(generator), 5_000_000);
    }

    @Test
    void treeSpeculativeSamplingShouldHaveTheTargetsJointDistribution() {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new ModelDrafter(DRAFT, null, VOCAB, 0f, 2));
        assertJointIsTheTargets("draft (tree, 2 root branches)", requests(generator), 3_000_000);
    }

    @Test
    void dynamicTreeSamplingShouldHaveTheTargetsJointDistribution() {
        Generator generator = Generator.speculative(TARGET, new IdTokenizer(VOCAB), null,
                new DynamicTreeDrafter(DRAFT, null, VOCAB, 2, 5));
        assertJointIsTheTargets("draft (dynamic tree, branching 2, 5 nodes)", requests(generator), 4_000_000);
    }

    private static Generator mirror(MissPolicy policy) {
        return Generator.mirror(TARGET, new IdTokenizer(VOCAB), null, new ModelMirrorDrafter(DRAFT, null, VOCAB, false),
                MirrorOptions.defaults().withExitLayer(1).withKappa(2).withNarrowEarlyExit(false)
                        .withMissPolicy(policy));
    }

    @Test
    void mirrorSamplingShouldHaveTheTargetsJointDistribution() {
        assertJointIsTheTargets("mirror (redraft on a miss)", requests(mirror(MissPolicy.REDRAFT)), 4_000_000);
    }

    @Test
    void mirrorSamplingShouldHaveTheTargetsJointDistributionWhenAMissStepsTheTargetAlone() {
        assertJointIsTheTargets("mirror (target step on a miss)", requests(mirror(MissPolicy.TARGET_STEP)), 4_500_000);
    }

    /**
     * Power: exact autoregressive sampling of the target, except that the second token reuses the
     * first token's uniform, as two generators seeded alike would. Each token's own conditional is
     * still drawn by inverse CDF; only the dependence between draws is wrong.
     */
    @Test
    void shouldRejectASamplerThatReusesAUniform() {
        LogitsProcessor processor = new LogitsProcessor(config(0).sampling(), VOCAB);
        LogitsProcessor.Scratch scratch = processor.newScratch();
        LongFunction<int[]> reusing = seed -> {
            SplittableRandom stream = new SplittableRandom(seed);
            long first = stream.nextLong();
            RandomGenerator replaying = new RandomGenerator() {
                private int draws;

                @Override
                public long nextLong() {
                    return draws++ < 2 ? first : stream.nextLong();
                }
            };
            int[] context = Arrays.copyOf(PROMPT, PROMPT.length + TOKENS);
            for (int k = 0; k < TOKENS; k++) {
                int length = PROMPT.length + k;
                float[] row = processor.process(TARGET.logitsAfter(context, length), context, length, scratch);
                context[length] = TokenSampler.sample(row, 0, VOCAB, replaying);
            }
            return Arrays.copyOfRange(context, PROMPT.length, PROMPT.length + TOKENS);
        };
        Fit fit = fit(counts(reusing, 5_000_000));
        System.out.printf("control (one uniform for two draws): %s%n", fit);
        assertTrue(fit.p() < ALPHA, "the joint test cannot tell a sampler that reuses one uniform: " + fit);
    }
}
