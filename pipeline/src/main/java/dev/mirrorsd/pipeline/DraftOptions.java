package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.tokenizer.TextTokenizer;

/**
 * What the speculative strategies need besides the target.
 *
 * @param draftModel          the draft for {@link Strategy#DRAFT}, or null
 * @param draftTokenizer      the draft's tokenizer, checked against the target's, or null
 * @param draftToTarget       target id of each draft logit (reduced draft vocabulary), or null
 * @param exitLayer           l_e for {@link Strategy#EARLY_EXIT}
 * @param confidenceThreshold a round stops drafting below this probability; 0 = never
 * @param rootBranches        first-token alternatives drafted as a tree; 1 = a chain
 * @param mirror              the Mirror-SD pipelines' settings for {@link Strategy#MIRROR}; its
 *                            early-exit layer is {@code exitLayer}
 */
public record DraftOptions(CausalLM draftModel, TextTokenizer draftTokenizer, int[] draftToTarget, int exitLayer,
                           float confidenceThreshold, int rootBranches, MirrorOptions mirror) {

    /** No draft model; early exit after 8 layers; no confidence stop; chains; Mirror's defaults otherwise. */
    public static DraftOptions defaults() {
        return new DraftOptions(null, null, null, 8, 0f, 1, MirrorOptions.defaults());
    }

    public DraftOptions withMirror(MirrorOptions options) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, rootBranches,
                options);
    }

    public DraftOptions withDraft(CausalLM model, TextTokenizer tokenizer, int[] toTarget) {
        return new DraftOptions(model, tokenizer, toTarget, exitLayer, confidenceThreshold, rootBranches, mirror);
    }

    public DraftOptions withExitLayer(int layer) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, layer, confidenceThreshold, rootBranches, mirror);
    }

    public DraftOptions withConfidenceThreshold(float threshold) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, threshold, rootBranches, mirror);
    }

    public DraftOptions withRootBranches(int branches) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, branches, mirror);
    }
}
