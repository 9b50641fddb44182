package dev.mirrorsd.cli;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.draft.DraftCheckpoint;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Generators;
import dev.mirrorsd.pipeline.Strategy;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which models and which strategy; the defaults are the ones bin/mirror-sd fetches and the repository ships. */
final class ModelOptions {

    @Option(names = "--target", description = "Target model: a GGUF file or a Hugging Face directory"
            + " (default: $MIRRORSD_TARGET, set by bin/mirror-sd to SmolLM2-135M-Instruct).")
    Path target;

    @Option(names = "--draft", description = "Draft model for the draft and streaming strategies: the project's"
            + " draft directory (default: models/draft) or any GGUF file / Hugging Face directory with the target's tokenizer.")
    Path draft;

    @Option(names = "--strategy", defaultValue = "draft", description = "autoregressive, draft,"
            + " prompt-lookup, early-exit, streaming (default ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--exit-layer", defaultValue = "24", description = "Early-exit layer l_e for --strategy"
            + " early-exit (default ${DEFAULT-VALUE}).")
    int exitLayer;

    @Option(names = "--confidence-threshold", defaultValue = "0", description = "Stop a round's drafting when"
            + " the draft's probability falls below this (default ${DEFAULT-VALUE} = never).")
    float confidenceThreshold;

    @Option(names = "--tree-branches", defaultValue = "1", description = "First-token alternatives the draft"
            + " proposes as a tree (default ${DEFAULT-VALUE} = a chain).")
    int treeBranches;

    /** The target and what the strategies need, loaded once. */
    record Loaded(Checkpoint checkpoint, CausalLM target, DraftOptions options) {
        Generator generator(Strategy strategy) {
            return Generators.build(strategy, target, checkpoint.tokenizer(), checkpoint.chatTemplate(), options);
        }
    }

    Path targetPath() {
        return targetOrDefault(target);
    }

    /** {@code target}, or the default one that bin/mirror-sd fetches ({@code $MIRRORSD_TARGET}). */
    static Path targetOrDefault(Path target) {
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

    Path draftPath() {
        if (draft != null) {
            return draft;
        }
        return Path.of(System.getenv().getOrDefault("MIRRORSD_HOME", "."), "models", "draft");
    }

    Strategy strategy() {
        return Strategy.byName(strategy);
    }

    /** Loads the target, and the draft when {@code needDraft}. */
    Loaded load(boolean needDraft) {
        Checkpoint checkpoint = Checkpoint.open(targetPath());
        DraftOptions options = DraftOptions.defaults().withExitLayer(exitLayer)
                .withConfidenceThreshold(confidenceThreshold).withRootBranches(treeBranches);
        if (needDraft) {
            Path dir = draftPath();
            if (sharesTargetEmbedding(dir)) {
                DraftCheckpoint project = DraftCheckpoint.load(dir, checkpoint.weights());
                options = options.withDraft(DjlCausalLM.load(project.weights()), null, project.draftToTarget());
            } else {
                Checkpoint standalone = Checkpoint.open(dir);
                options = options.withDraft(DjlCausalLM.load(standalone.weights()), standalone.tokenizer(), null);
            }
        }
        // the target last: loading it releases its host copy of the layers the draft does not need
        return new Loaded(checkpoint, DjlCausalLM.load(checkpoint.weights()), options);
    }

    Generator openGenerator() {
        Strategy chosen = strategy();
        return load(chosen == Strategy.DRAFT || chosen == Strategy.STREAMING).generator(chosen);
    }

    private static boolean sharesTargetEmbedding(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            return Files.isRegularFile(config) && Files.readString(config).contains("\"shares_target_embedding\"");
        } catch (IOException e) {
            return false;
        }
    }
}
