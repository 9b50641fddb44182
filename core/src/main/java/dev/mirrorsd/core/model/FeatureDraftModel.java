package dev.mirrorsd.core.model;

/**
 * A feature-conditioned draft (EAGLE-3's one decoder layer that reads the target's hidden states)
 * as a device runs it: in Java on the host, or as compiled graphs on an engine's GPU. The drafters
 * drive it a step at a time; where it runs decides only how fast. The layer, its inputs and its
 * training are in docs/design/feature-draft.md.
 *
 * <p>The weights are shared by every request; each request's KV cache is a {@link State}.
 */
public interface FeatureDraftModel extends AutoCloseable {

    /** Width of the draft's hidden state (the target's). */
    int hiddenSize();

    /** Logits per step: the draft vocabulary, a subset of the target's. */
    int draftVocab();

    /** The target's vocabulary size, which the fed tokens index. */
    int targetVocab();

    /** The target layers whose hidden states the draft reads, ascending (1 = after the first layer). */
    int[] featureLayers();

    /** Floats per position of fused target features: one hidden state per feature layer. */
    default int featureWidth() {
        return featureLayers().length * hiddenSize();
    }

    /** Target id of each draft logit (a fresh copy). */
    int[] draftToTarget();

    /** Where the steps run ("java", "aoti:cuda:0"). */
    String device();

    /** A request's draft cache of {@code capacity} positions, at most {@link #maxCapacity()}. */
    State newState(int capacity);

    /** The largest cache a state may have: an export's max context; unbounded on the host. */
    default int maxCapacity() {
        return Integer.MAX_VALUE;
    }

    /** Frees device memory; the host draft holds none. */
    @Override
    default void close() {
    }

    /**
     * One request's draft KV cache (slot = absolute position for committed and chained steps) and
     * whatever a step needs besides. A step allocates nothing on the host. Not thread-safe.
     */
    interface State extends AutoCloseable {

        int capacity();

        /**
         * One draft step at {@code position}; its key and value go to slot {@code position}, and it
         * attends to slots {@code firstSlot..position}.
         *
         * @param input     the target's features of position - 1 ({@code fused}: {@link #featureWidth()}
         *                  floats, fused by the draft's fc), or the draft's own g of position - 1 (hidden floats)
         * @param gOut      receives g, the draft's hidden state for the next step (hidden floats)
         * @param logits    receives the draft-vocabulary logits, or null when only the cache is wanted
         */
        void step(float[] input, int inputOff, boolean fused, int token, int position, int firstSlot,
                  float[] gOut, float[] logits);

        /**
         * Steps at positions {@code first..first+count-1}, each fed the target's features of the
         * position before ({@code features[offset + i * featureWidth..]} for position first + i) and
         * {@code tokens[first + i]}, each attending to slots {@code firstSlot..} its own: the
         * committed positions a round catches up on, or a whole prompt. A device that runs windows
         * runs them as a few; {@code gOut} and {@code logits} receive the last position's.
         */
        default void fusedSteps(float[] features, int offset, int featureWidth, int[] tokens, int first, int count,
                                int firstSlot, float[] gOut, float[] logits) {
            for (int i = 0; i < count; i++) {
                step(features, offset + i * featureWidth, true, tokens[first + i], first + i, firstSlot, gOut,
                        i == count - 1 ? logits : null);
            }
        }

        /**
         * A step of a draft tree's node: its key and value go to {@code slot}, and it attends to the
         * cached slots {@code firstSlot..lastSlot} (the committed positions) and to
         * {@code extraSlots[0..extraCount)} (its ancestors in the tree, then itself), not to its
         * siblings. RoPE still takes the node's position in the sequence. A one-row {@link #treeSteps}.
         */
        default void treeStep(float[] parentG, int token, int position, int slot, int firstSlot, int lastSlot,
                              int[] extraSlots, int extraCount, float[] gOut, float[] logits) {
            treeSteps(new float[][] {parentG}, new int[] {token}, new int[] {position}, new int[] {slot}, 1, firstSlot,
                    lastSlot, new int[][] {extraSlots}, new int[] {extraCount}, new float[][] {gOut}, logits);
        }

        /**
         * Tree nodes of one depth as one window: row r is {@link #treeStep} of node r (its parent's g
         * {@code parentGs[r]}, {@code tokens[r]} at {@code positions[r]}, its key and value at
         * {@code slots[r]}, attending to the committed slots {@code firstSlot..lastSlot} and to
         * {@code extraSlots[r][0..extraCounts[r])}), each row's g into {@code gOut[r]} and logits into
         * {@code logits[r * draftVocab()..]}. Rows of one window do not see each other unless their
         * extra slots say so. A device that runs windows runs the depth as one.
         */
        void treeSteps(float[][] parentGs, int[] tokens, int[] positions, int[] slots, int rows, int firstSlot,
                       int lastSlot, int[][] extraSlots, int[] extraCounts, float[][] gOut, float[] logits);

        /** Frees the cache's device memory; a host cache is left to the collector. */
        @Override
        default void close() {
        }
    }
}
