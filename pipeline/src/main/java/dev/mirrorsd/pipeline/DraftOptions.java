package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.FeatureDraftModel;
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
 * @param treeBranching       a dynamic draft tree's children per node and nodes expanded per depth
 * @param treeNodes           a dynamic draft tree's draft tokens per round (EAGLE-2); 0 = no dynamic tree
 * @param mirror              the Mirror-SD pipelines' settings for {@link Strategy#MIRROR}; its
 *                            early-exit layer is {@code exitLayer}
 * @param featureDraft        a draft that reads the target's hidden states, for {@link Strategy#DRAFT}
 *                            in place of {@code draftModel}, or null
 * @param lookupNgram         {@link Strategy#DRAFT} takes prompt lookup in when the context's last
 *                            {@code lookupNgram} or more tokens occurred before ({@code LookupFirstDrafter}:
 *                            a chain's round goes to the lookup, a tree gains its branch); 0 = the draft alone
 */
public record DraftOptions(CausalLM draftModel, TextTokenizer draftTokenizer, int[] draftToTarget, int exitLayer,
                           float confidenceThreshold, int rootBranches, int treeBranching, int treeNodes,
                           MirrorOptions mirror, FeatureDraftModel featureDraft, int lookupNgram) {

    /**
     * The default: a three-token repeat. On Spec-Bench it lifts the feature draft's mean accepted
     * tokens from 1.75 to 2.02, most on translation, summaries and retrieval (docs/results/cpu.md).
     */
    public static final int LOOKUP_NGRAM = 3;

    public DraftOptions {
        if (treeNodes < 0 || (treeNodes > 0 && treeBranching < 1)) {
            throw new IllegalArgumentException("a dynamic tree needs a node budget >= 0 and branching >= 1, got "
                    + treeNodes + " nodes and branching " + treeBranching);
        }
        if (lookupNgram < 0) {
            throw new IllegalArgumentException("the lookup n-gram is a length >= 1, or 0 for none, got " + lookupNgram);
        }
    }

    /**
     * No draft model; early exit after 8 layers; no confidence stop; chains; Mirror's defaults; prompt
     * lookup takes the rounds whose last {@link #LOOKUP_NGRAM} tokens repeat.
     */
    public static DraftOptions defaults() {
        return new DraftOptions(null, null, null, 8, 0f, 1, 4, 0, MirrorOptions.defaults(), null, LOOKUP_NGRAM);
    }

    public DraftOptions withMirror(MirrorOptions options) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, rootBranches,
                treeBranching, treeNodes, options, featureDraft, lookupNgram);
    }

    public DraftOptions withDraft(CausalLM model, TextTokenizer tokenizer, int[] toTarget) {
        return new DraftOptions(model, tokenizer, toTarget, exitLayer, confidenceThreshold, rootBranches,
                treeBranching, treeNodes, mirror, featureDraft, lookupNgram);
    }

    /** A feature draft for the draft strategy, in place of a draft model. */
    public DraftOptions withFeatureDraft(FeatureDraftModel draft) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, rootBranches,
                treeBranching, treeNodes, mirror, draft, lookupNgram);
    }

    public DraftOptions withExitLayer(int layer) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, layer, confidenceThreshold, rootBranches,
                treeBranching, treeNodes, mirror, featureDraft, lookupNgram);
    }

    public DraftOptions withConfidenceThreshold(float threshold) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, threshold, rootBranches,
                treeBranching, treeNodes, mirror, featureDraft, lookupNgram);
    }

    public DraftOptions withRootBranches(int branches) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, branches,
                treeBranching, treeNodes, mirror, featureDraft, lookupNgram);
    }

    /** A dynamic draft tree of {@code nodes} draft tokens per round, {@code branching} children per node. */
    public DraftOptions withDynamicTree(int branching, int nodes) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, rootBranches,
                branching, nodes, mirror, featureDraft, lookupNgram);
    }

    /** Rounds whose last {@code n} or more tokens occurred before go to prompt lookup; 0: none do. */
    public DraftOptions withLookupNgram(int n) {
        return new DraftOptions(draftModel, draftTokenizer, draftToTarget, exitLayer, confidenceThreshold, rootBranches,
                treeBranching, treeNodes, mirror, featureDraft, n);
    }
}
