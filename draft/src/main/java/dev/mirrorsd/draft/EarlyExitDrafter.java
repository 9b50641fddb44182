package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.random.RandomGenerator;

/**
 * Self-speculation (LayerSkip, Draft&Verify): the target's own first {@code l_e} layers, with its
 * final norm and LM head, draft; the whole target verifies. Needs no second model; the draft costs
 * about {@code l_e / N} of the layers plus the full LM head per token.
 */
public final class EarlyExitDrafter implements Drafter {
    private final ModelDrafter drafter;
    private final int exitLayer;

    /**
     * @param target              the target model; its first {@code exitLayer} layers draft
     * @param exitLayer           l_e, in [1, layers]
     * @param confidenceThreshold stop a round below this probability; 0 = never
     * @param rootBranches        first-token alternatives drafted as a tree; 1 = a chain
     */
    public EarlyExitDrafter(CausalLM target, int exitLayer, float confidenceThreshold, int rootBranches) {
        this.exitLayer = exitLayer;
        this.drafter = new ModelDrafter(target.firstLayers(exitLayer), null, target.config().vocabSize(),
                confidenceThreshold, rootBranches, false, "early-exit");
    }

    public int exitLayer() {
        return exitLayer;
    }

    @Override
    public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
        return drafter.open(sampling, random, capacity);
    }

    @Override
    public String name() {
        return drafter.name();
    }

    @Override
    public void close() {
        drafter.close(); // closes only the view: the target's weights stay
    }
}
