package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.sampling.RequestRandom;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.core.weights.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rounds whose context repeats its last n-gram go to prompt lookup, the others to a real feature
 * draft, which catches up on the rounds it skipped and then drafts exactly as a session that drafted
 * every round.
 */
class LookupFirstDrafterTest {
    private static final ModelConfig TARGET = RandomWeights.tinyConfig(false); // hidden 32
    private static final ModelWeights TARGET_WEIGHTS = RandomWeights.of(TARGET, 7);
    private static final int[] D2T = {3, 5, 8, 13, 21, 34, 55, 89, 90, 91, 0, 1};
    private static final int CAPACITY = 64;

    @TempDir
    Path dir;

    private FeatureDrafter featureDrafter() throws IOException {
        return new FeatureDrafter(FeatureDraft.load(dir(), TARGET_WEIGHTS, FeatureDraft.Precision.FLOAT32));
    }

    private static DraftSession open(Drafter drafter) {
        return drafter.open(SamplingConfig.greedy(), RequestRandom.seeded(0).draft(), CAPACITY);
    }

    @Test
    void shouldProposeWhatFollowedTheLastRepeatOfTheLastNgram() throws IOException {
        int[] context = {7, 1, 2, 3, 40, 41, 42, 43, 9, 1, 2, 3};
        try (DraftSession session = open(new LookupFirstDrafter(featureDrafter(), 3, 3, false))) {
            DraftProposal p = session.propose(context, context.length, 3);
            assertEquals(3, p.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(40 + i, p.token(i));
                assertNull(p.draftDistribution(i), "a lookup proposes point masses");
            }
        }
    }

    @Test
    void shouldLeaveShorterRepeatsToTheDraftThatCatchesUpOnTheRoundsItSkipped() throws IOException {
        FeatureDrafter drafter = featureDrafter();
        int width = TARGET.hiddenSize() * 2;
        SplittableRandom random = new SplittableRandom(3);
        // round 1 repeats a three-token n-gram (lookup), round 2 only a two-token one (the draft)
        int[] context = {7, 1, 2, 3, 40, 41, 9, 1, 2, 3, 50, 51, 52, 60, 61, 2, 3};
        int round1 = 10;
        int round2 = context.length;
        float[] features = new float[round2 * width];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian();
        }
        try (DraftSession every = open(drafter);
             DraftSession first = open(new LookupFirstDrafter(drafter, 3, 3, false))) {
            feed(every, features, width, 0, round1);
            feed(first, features, width, 0, round1);
            DraftProposal drafted = every.propose(context, round1, 4);
            DraftProposal looked = first.propose(context, round1, 4);
            assertEquals(4, drafted.size());
            assertArrayEquals(new int[] {40, 41, 9, 1}, tokens(looked));

            feed(every, features, width, round1, round2);
            feed(first, features, width, round1, round2);
            DraftProposal expected = every.propose(context, round2, 4);
            DraftProposal actual = first.propose(context, round2, 4);
            assertEquals(4, actual.size());
            assertArrayEquals(tokens(expected), tokens(actual));
            for (int i = 0; i < actual.size(); i++) {
                assertArrayEquals(expected.draftDistribution(i), actual.draftDistribution(i), 1e-5f);
            }
        }
    }

    @Test
    void shouldGraftTheLookupOntoATreeDraftsTree() throws IOException {
        FeatureDrafter trees = new FeatureDrafter(FeatureDraft.load(dir(), TARGET_WEIGHTS, FeatureDraft.Precision.FLOAT32),
                3, 8);
        int width = TARGET.hiddenSize() * 2;
        int[] context = {7, 1, 2, 3, 40, 41, 42, 43, 9, 1, 2, 3};
        float[] features = new float[context.length * width];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian();
        }
        try (DraftSession alone = open(trees);
             DraftSession joined = open(new LookupFirstDrafter(trees, 3, 3, true))) {
            feed(alone, features, width, 0, context.length);
            feed(joined, features, width, 0, context.length);
            DraftProposal tree = alone.propose(context, context.length, 4);
            DraftProposal both = joined.propose(context, context.length, 4);
            assertEquals(8, tree.size());
            assertEquals(tree.withPath(new int[] {40, 41, 42, 43}).toString(), both.toString());
            int node = -1;
            for (int token = 40; token < 44; token++) {
                int child = both.child(node, token);
                assertTrue(child >= 0, "the lookup's token " + token + " is not on a path from the root");
                node = child;
            }
        }
    }

    private Path dir() throws IOException {
        RandomFeatureDraft.write(dir, TARGET, new int[] {1, 2}, D2T, 0.3, 11);
        return dir;
    }

    private static void feed(DraftSession session, float[] features, int width, int from, int to) {
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = from + i;
        }
        session.acceptFeatures(from, features, width, rows);
    }

    private static int[] tokens(DraftProposal p) {
        int[] t = new int[p.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = p.token(i);
        }
        return t;
    }
}
