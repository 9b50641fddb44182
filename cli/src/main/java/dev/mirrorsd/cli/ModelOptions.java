package dev.mirrorsd.cli;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Generators;
import dev.mirrorsd.pipeline.Strategy;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Which models and which strategy; the defaults are the ones bin/mirror-sd fetches. */
final class ModelOptions {

    @Option(names = "--target", description = "Target model: a GGUF file or a Hugging Face directory"
            + " (default: $MIRRORSD_TARGET, set by bin/mirror-sd to SmolLM2-135M-Instruct).")
    Path target;

    @Option(names = "--draft", description = "Draft model for --strategy draft: a GGUF file or a Hugging Face"
            + " directory with the target's tokenizer.")
    Path draft;

    @Option(names = "--strategy", defaultValue = "autoregressive", description = "autoregressive, draft,"
            + " prompt-lookup, early-exit, streaming (default ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--exit-layer", defaultValue = "8", description = "Early-exit layer l_e for --strategy"
            + " early-exit (default ${DEFAULT-VALUE}).")
    int exitLayer;

    @Option(names = "--confidence-threshold", defaultValue = "0", description = "Stop a round's drafting when"
            + " the draft's probability falls below this (default ${DEFAULT-VALUE} = never).")
    float confidenceThreshold;

    @Option(names = "--tree-branches", defaultValue = "1", description = "First-token alternatives the draft"
            + " model proposes as a tree (default ${DEFAULT-VALUE} = a chain).")
    int treeBranches;

    Path targetPath() {
        if (target != null) {
            return target;
        }
        String fromEnv = System.getenv("MIRRORSD_TARGET");
        if (fromEnv == null || fromEnv.isBlank()) {
            throw new IllegalArgumentException("no target model: pass --target PATH or run through bin/mirror-sd,"
                    + " which fetches the default one");
        }
        return Path.of(fromEnv);
    }

    Strategy strategy() {
        return Strategy.byName(strategy);
    }

    Generator openGenerator() {
        Strategy chosen = strategy();
        Checkpoint checkpoint = Checkpoint.open(targetPath());
        CausalLM model = DjlCausalLM.load(checkpoint.weights());
        DraftOptions options = DraftOptions.defaults().withExitLayer(exitLayer)
                .withConfidenceThreshold(confidenceThreshold).withRootBranches(treeBranches);
        if (chosen == Strategy.DRAFT && draft != null) {
            Checkpoint draftCheckpoint = Checkpoint.open(draft);
            options = options.withDraft(DjlCausalLM.load(draftCheckpoint.weights()), draftCheckpoint.tokenizer(), null);
        }
        return Generators.build(chosen, model, checkpoint.tokenizer(), checkpoint.chatTemplate(), options);
    }
}
