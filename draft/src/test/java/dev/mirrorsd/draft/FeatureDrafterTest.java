package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.sampling.RequestRandom;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.RandomWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dynamic trees of a draft whose caches are bounded, as a compiled draft's export bounds them. */
class FeatureDrafterTest {
    private static final ModelConfig TARGET = RandomWeights.tinyConfig(false); // hidden 32
    private static final int[] D2T = {3, 5, 8, 13, 21, 34, 55, 89, 90, 91, 0, 1};
    private static final int MAX_CACHE = 48;

    @TempDir
    Path dir;

    /** The draft with its caches cut at {@code max} positions, refusing larger ones. */
    private record Bounded(FeatureDraftModel draft, int max) implements FeatureDraftModel {
        public int hiddenSize() {
            return draft.hiddenSize();
        }

        public int draftVocab() {
            return draft.draftVocab();
        }

        public int targetVocab() {
            return draft.targetVocab();
        }

        public int[] featureLayers() {
            return draft.featureLayers();
        }

        public int[] draftToTarget() {
            return draft.draftToTarget();
        }

        public String device() {
            return draft.device();
        }

        public State newState(int capacity) {
            if (capacity > max) {
                throw new IllegalArgumentException("draft cache of " + capacity + " positions past " + max);
            }
            return draft.newState(capacity);
        }

        public int maxCapacity() {
            return max;
        }
    }

    @Test
    void shouldGrowAShallowerTreeWhereTheDeeperOnesSlotsPassTheDraftsLargestCache() throws IOException {
        RandomFeatureDraft.write(dir, TARGET, new int[] {1, 2}, D2T, 0.3, 11);
        FeatureDraft draft = FeatureDraft.load(dir, RandomWeights.of(TARGET, 7), FeatureDraft.Precision.FLOAT32);
        FeatureDraftModel bounded = new Bounded(draft, MAX_CACHE);
        assertThrows(IllegalArgumentException.class, () -> bounded.newState(MAX_CACHE + 1));
        int length = 30;
        int[] context = new int[length];
        int width = TARGET.hiddenSize() * 2;
        float[] features = new float[length * width];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < length; i++) {
            context[i] = random.nextInt(TARGET.vocabSize());
        }
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian();
        }
        int[] rows = new int[length];
        for (int i = 0; i < length; i++) {
            rows[i] = i;
        }
        // 3 children a node: depth 2 takes 3 + 9 slots past the 30 committed (42 <= 48), depth 3 takes 21 (51)
        try (DraftSession near = new FeatureDrafter(bounded, 3, 12).open(SamplingConfig.greedy(),
                RequestRandom.seeded(0).draft(), 40);
             DraftSession free = new FeatureDrafter(draft, 3, 12).open(SamplingConfig.greedy(),
                     RequestRandom.seeded(0).draft(), 40)) {
            near.acceptFeatures(0, features, width, rows);
            free.acceptFeatures(0, features, width, rows);
            DraftProposal shallower = near.propose(context, length, 4);
            DraftProposal twoDeep = free.propose(context, length, 2);
            assertEquals(twoDeep.toString(), shallower.toString());
            boolean deeper = false;
            for (int r = 0; r < shallower.size(); r++) {
                deeper |= shallower.parent(r) >= 0;
            }
            assertTrue(deeper, "a two-deep tree, not the root's children alone: " + shallower);
        }
    }
}
