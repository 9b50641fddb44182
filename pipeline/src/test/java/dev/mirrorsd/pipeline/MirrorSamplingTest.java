package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.draft.ModelMirrorDrafter;
import dev.mirrorsd.draft.MissPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sampled Mirror-SD output must have the target's distribution. Two-sample chi-square tests of the
 * tokens at output positions 2 and 3 (the first verified with the draft's branches), Mirror-SD
 * against plain sampling of the same target, on a tiny random model restricted to its top 4 tokens
 * so that a thousand samples resolve the distribution. The target drafts for itself (no early exit), so
 * most branch tokens are accepted and reused branches carry the rounds. The same test must reject
 * a sampler at a different temperature, or it could not tell a wrong distribution either.
 */
class MirrorSamplingTest {
    private static final int SAMPLES = 1000;
    private static final int TOKENS = 4;
    private static final int[] PROMPT = {5, 17, 42, 9, 33, 61};
    /** Chi-square critical values at p = 0.001 by degrees of freedom (index). */
    private static final double[] CRITICAL = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88,
            29.59, 31.26, 32.91, 34.53, 36.12, 37.70, 39.25, 40.79, 42.31, 43.82, 45.31, 46.80, 48.27, 49.73,
            51.18, 52.62, 54.05, 55.48, 56.89, 58.30, 59.70, 61.10, 62.49, 63.87, 65.25, 66.62};

    private static CausalLM target;
    /** Plain sampling of the target at temperature 1: the reference both miss policies are tested against. */
    private static Map<Integer, Integer>[] expected;

    @BeforeAll
    static void load() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        target = Engines.load(ModelSource.of(RandomWeights.of(config, 11)), "java:cpu");
        expected = histograms(Generator.of(target, new IdTokenizer(96), null), 1f, 1_000_000);
    }

    @AfterAll
    static void close() {
        target.close();
    }

    private static Map<Integer, Integer>[] histograms(Generator generator, float temperature, long seedBase) {
        @SuppressWarnings("unchecked")
        Map<Integer, Integer>[] counts = new Map[TOKENS];
        for (int p = 0; p < TOKENS; p++) {
            counts[p] = new HashMap<>();
        }
        for (int i = 0; i < SAMPLES; i++) {
            GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(TOKENS).withIgnoreEos(true)
                    .withNumAssistantTokens(3)
                    .withSampling(new SamplingConfig(true, temperature, 4, 1f, 1f, seedBase + i));
            int[] ids = generator.generateFromIds(PROMPT, config, TokenListener.NONE, new Cancellation()).tokenIds();
            for (int p = 0; p < TOKENS; p++) {
                counts[p].merge(ids[p], 1, Integer::sum);
            }
        }
        return counts;
    }

    /** The two-sample chi-square statistic over equal-sized samples, with its degrees of freedom. */
    private static double[] chiSquare(Map<Integer, Integer> a, Map<Integer, Integer> b) {
        Map<Integer, int[]> merged = new HashMap<>();
        a.forEach((token, n) -> merged.computeIfAbsent(token, t -> new int[2])[0] = n);
        b.forEach((token, n) -> merged.computeIfAbsent(token, t -> new int[2])[1] = n);
        double statistic = 0;
        int categories = 0;
        int pooledA = 0;
        int pooledB = 0;
        for (int[] n : merged.values()) {
            if (n[0] + n[1] < 10) { // sparse tokens pooled into one category
                pooledA += n[0];
                pooledB += n[1];
                continue;
            }
            statistic += (double) (n[0] - n[1]) * (n[0] - n[1]) / (n[0] + n[1]);
            categories++;
        }
        if (pooledA + pooledB > 0) {
            statistic += (double) (pooledA - pooledB) * (pooledA - pooledB) / (pooledA + pooledB);
            categories++;
        }
        return new double[] {statistic, Math.max(1, categories - 1)};
    }

    private static boolean sameDistribution(Map<Integer, Integer>[] a, Map<Integer, Integer>[] b, StringBuilder why) {
        boolean same = true;
        for (int p = 2; p < TOKENS; p++) {
            double[] test = chiSquare(a[p], b[p]);
            why.append(String.format("position %d: chi2 %.2f, df %d; ", p, test[0], (int) test[1]));
            same &= test[0] < CRITICAL[(int) Math.min(test[1], CRITICAL.length - 1)];
        }
        return same;
    }

    private static Generator mirror(MissPolicy missPolicy) {
        return Generator.mirror(target, new IdTokenizer(96), null,
                new ModelMirrorDrafter(target.firstLayers(target.config().numLayers()), null, 96, true),
                MirrorOptions.defaults().withExitLayer(2).withKappa(2).withNarrowEarlyExit(false)
                        .withMissPolicy(missPolicy));
    }

    @Test
    void shouldSampleFromTheTargetsDistributionWhenAMissStepsTheTargetAlone() {
        Map<Integer, Integer>[] actual = histograms(mirror(MissPolicy.TARGET_STEP), 1f, 4_000_000);
        StringBuilder why = new StringBuilder();
        assertTrue(sameDistribution(expected, actual, why), "Mirror-SD sampling differs from the target's: " + why);
    }

    @Test
    void shouldSampleFromTheTargetsDistributionWithAnotherDraftSide() {
        PromptLookupMirrorDrafter drafter = new PromptLookupMirrorDrafter();
        Generator mirror = Generator.mirror(target, new IdTokenizer(96), null, drafter,
                MirrorOptions.defaults().withExitLayer(2).withKappa(2).withNarrowEarlyExit(false)
                        .withMissPolicy(MissPolicy.REDRAFT));
        Map<Integer, Integer>[] actual = histograms(mirror, 1f, 5_000_000);
        StringBuilder why = new StringBuilder();
        assertTrue(sameDistribution(expected, actual, why), "Mirror-SD sampling differs from the target's: " + why);
        assertTrue(drafter.hits() > 0, "no branch was reused: the test would not cover branch reuse");
    }

    @Test
    void shouldSampleFromTheTargetsDistribution() {
        Generator mirror = mirror(MissPolicy.REDRAFT);
        Map<Integer, Integer>[] actual = histograms(mirror, 1f, 2_000_000);
        StringBuilder why = new StringBuilder();
        assertTrue(sameDistribution(expected, actual, why), "Mirror-SD sampling differs from the target's: " + why);

        // power: the same test tells a sampler at another temperature apart
        Map<Integer, Integer>[] colder = histograms(mirror, 0.6f, 3_000_000);
        StringBuilder control = new StringBuilder();
        assertTrue(!sameDistribution(expected, colder, control), "the test cannot tell temperature 0.6 from 1.0: "
                + control);
    }
}
