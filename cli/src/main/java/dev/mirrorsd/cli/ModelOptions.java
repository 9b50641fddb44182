package dev.mirrorsd.cli;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.pipeline.Generator;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where the models come from; the defaults are the ones bin/mirror-sd fetches. */
final class ModelOptions {

    @Option(names = "--target", description = "Target model: a GGUF file or a Hugging Face directory"
            + " (default: $MIRRORSD_TARGET, set by bin/mirror-sd to SmolLM2-135M-Instruct).")
    Path target;

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

    Generator openGenerator() {
        Checkpoint checkpoint = Checkpoint.open(targetPath());
        return Generator.of(DjlCausalLM.load(checkpoint.weights()), checkpoint.tokenizer(), checkpoint.chatTemplate());
    }
}
