package dev.mirrorsd.mapping;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Generators;
import dev.mirrorsd.pipeline.Strategy;

/**
 * A target and its draft, loaded where a plan says ({@link Deployment#load}). Generators built from
 * it share the models; close it once, when the last of them is done.
 *
 * @param checkpoint the target's checkpoint: tokenizer and chat template
 * @param target     the target model
 * @param options    the strategies' options, the draft model (if loaded) among them
 */
public record PlacedModels(Checkpoint checkpoint, CausalLM target, DraftOptions options) implements AutoCloseable {

    /** A generator for {@code strategy} over these models. */
    public Generator generator(Strategy strategy) {
        return Generators.build(strategy, target, checkpoint.tokenizer(), checkpoint.chatTemplate(), options);
    }

    @Override
    public void close() {
        if (options.draftModel() != null) {
            options.draftModel().close();
        }
        if (options.featureDraft() != null) {
            options.featureDraft().close();
        }
        target.close();
    }
}
