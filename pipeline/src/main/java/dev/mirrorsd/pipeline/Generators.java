package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.tokenizer.ChatTemplate;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.draft.Drafter;
import dev.mirrorsd.draft.DynamicTreeDrafter;
import dev.mirrorsd.draft.EarlyExitDrafter;
import dev.mirrorsd.draft.FeatureDrafter;
import dev.mirrorsd.draft.FeatureMirrorDrafter;
import dev.mirrorsd.draft.LookupFirstDrafter;
import dev.mirrorsd.draft.MirrorDrafter;
import dev.mirrorsd.draft.ModelDrafter;
import dev.mirrorsd.draft.ModelMirrorDrafter;
import dev.mirrorsd.draft.NgramDrafter;
import dev.mirrorsd.draft.StreamingDrafter;

/**
 * Builds a {@link Generator} for a strategy: the one place a strategy becomes a drafter, a serial
 * {@link Drafter} or Mirror-SD's {@link MirrorDrafter}.
 */
public final class Generators {
    private Generators() {
    }

    public static Generator build(Strategy strategy, CausalLM target, TextTokenizer tokenizer, ChatTemplate template,
                                  DraftOptions options) {
        if (strategy == Strategy.MIRROR) {
            if (options.featureDraft() == null) {
                requireDraft(strategy, tokenizer, options);
            }
            return Generator.mirror(target, tokenizer, template, mirrorDrafter(target, options),
                    options.mirror().withExitLayer(options.exitLayer()));
        }
        Drafter drafter = drafter(strategy, target, tokenizer, options);
        return drafter == null ? Generator.of(target, tokenizer, template)
                : Generator.speculative(target, tokenizer, template, drafter);
    }

    /**
     * Mirror-SD's draft side: the feature draft reading the early-exit message's features, or the
     * token draft model rolling out branches, its heads streaming.
     */
    private static MirrorDrafter mirrorDrafter(CausalLM target, DraftOptions options) {
        if (options.featureDraft() != null) {
            return new FeatureMirrorDrafter(options.featureDraft());
        }
        return new ModelMirrorDrafter(options.draftModel(), options.draftToTarget(), target.config().vocabSize(), true);
    }

    private static Drafter drafter(Strategy strategy, CausalLM target, TextTokenizer tokenizer, DraftOptions options) {
        int vocab = target.config().vocabSize();
        switch (strategy) {
            case AUTOREGRESSIVE:
                return null;
            case PROMPT_LOOKUP:
                return new NgramDrafter();
            case EARLY_EXIT:
                return new EarlyExitDrafter(target, options.exitLayer(), options.confidenceThreshold(), options.rootBranches());
            case DRAFT:
                Drafter draft = draftModel(strategy, target, tokenizer, options);
                int n = options.lookupNgram();
                return n > 0 ? new LookupFirstDrafter(draft, Math.max(n, NgramDrafter.MAX_NGRAM), n, options.treeNodes() > 0) : draft;
            case STREAMING:
                requireDraft(strategy, tokenizer, options);
                return new StreamingDrafter(options.draftModel(), options.draftToTarget(), vocab,
                        options.confidenceThreshold());
            default:
                throw new IllegalArgumentException("strategy '" + strategy + "' is not available yet");
        }
    }

    /** The draft strategy's model: the feature draft where there is one, else the token draft. */
    private static Drafter draftModel(Strategy strategy, CausalLM target, TextTokenizer tokenizer, DraftOptions options) {
        if (options.featureDraft() != null) {
            return options.treeNodes() > 0
                    ? new FeatureDrafter(options.featureDraft(), options.treeBranching(), options.treeNodes())
                    : new FeatureDrafter(options.featureDraft());
        }
        requireDraft(strategy, tokenizer, options);
        int vocab = target.config().vocabSize();
        if (options.treeNodes() > 0) {
            return new DynamicTreeDrafter(options.draftModel(), options.draftToTarget(), vocab,
                    options.treeBranching(), options.treeNodes());
        }
        return new ModelDrafter(options.draftModel(), options.draftToTarget(), vocab,
                options.confidenceThreshold(), options.rootBranches());
    }

    private static void requireDraft(Strategy strategy, TextTokenizer tokenizer, DraftOptions options) {
        if (options.draftModel() == null && options.featureDraft() != null) {
            throw new IllegalArgumentException("the '" + strategy + "' strategy needs a token draft (models/draft);"
                    + " the feature draft serves the 'draft' strategy");
        }
        if (options.draftModel() == null) {
            throw new IllegalArgumentException("the '" + strategy + "' strategy needs a draft model (--draft PATH)");
        }
        if (options.draftTokenizer() != null) {
            Vocabularies.requireSame(tokenizer, options.draftTokenizer());
        }
    }
}
