package dev.mirrorsd.cli;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.draft.DraftCheckpoint;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.devices.DeviceInventory;
import dev.mirrorsd.devices.EngineKind;
import dev.mirrorsd.mapping.DevicePlan;
import dev.mirrorsd.mapping.PlacedModels;
import dev.mirrorsd.mapping.Placement;
import dev.mirrorsd.mapping.PlanCheck;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.MirrorOptions;
import dev.mirrorsd.pipeline.OptionName;
import dev.mirrorsd.pipeline.ring.WaitPolicy;
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

    @Option(names = "--target-graphs", description = "The target's AOTInductor graphs, a folder written by"
            + " tools/gpu/export_aoti.py, for a plan that puts the target on aoti:gpuN or aoti:cpu; --target still"
            + " gives the tokenizer and chat template.")
    Path targetGraphs;

    @Option(names = "--draft-graphs", description = "The draft's AOTInductor graphs (tools/gpu/export_aoti.py"
            + " --draft), for a plan that puts the draft on aoti:gpuN or aoti:cpu; --draft still gives its vocabulary"
            + " map or tokenizer.")
    Path draftGraphs;

    @Option(names = "--strategy", defaultValue = "draft", description = "autoregressive, draft,"
            + " prompt-lookup, early-exit, streaming, mirror (default ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--exit-layer", defaultValue = "24", description = "Early-exit layer l_e for --strategy"
            + " early-exit and mirror (default ${DEFAULT-VALUE}).")
    int exitLayer;

    @Option(names = "--kappa", defaultValue = "2", description = "Mirror: early-exit candidates per window row;"
            + " the draft rolls out a branch after each (default ${DEFAULT-VALUE}).")
    int kappa;

    @Option(names = "--wait-policy", defaultValue = "blocking", description = "Mirror: how the pipelines wait on"
            + " their rings: blocking (shared machines), yielding, busy-spin (dedicated cores) (default ${DEFAULT-VALUE}).")
    String waitPolicy;

    @Option(names = "--on-miss", defaultValue = "target-step", description = "Mirror: when the verdict matches no"
            + " rolled-out branch, redraft (the draft drafts afresh, the target waits) or target-step (the"
            + " target verifies its own token alone while the draft rolls out after it) (default ${DEFAULT-VALUE}).")
    String onMiss;

    @Option(names = "--plan", description = "Where the pipelines run, e.g."
            + " \"target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1\" (see `devices`);"
            + " default: both on pytorch:cpu with libtorch's own thread count.")
    String plan;

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

    /** Loads the target, and the draft when {@code needDraft}, where the device plan says. */
    Loaded load(boolean needDraft) {
        MirrorOptions mirror = MirrorOptions.defaults().withKappa(kappa).withWaitPolicy(waitPolicy())
                .withMissPolicy(OptionName.parse(MissPolicy.class, onMiss, "miss policy"));
        requireGraphsWherePlaced(plan == null ? null : DevicePlan.parse(plan), needDraft);
        DevicePlan placed = devicePlan();
        Checkpoint checkpoint = Checkpoint.open(targetPath());
        DraftOptions options = DraftOptions.defaults().withExitLayer(exitLayer)
                .withConfidenceThreshold(confidenceThreshold).withRootBranches(treeBranches).withMirror(mirror);
        if (needDraft) {
            Path dir = draftPath();
            Placement draftPlace = placed.draft();
            boolean compiled = draftPlace.device().engine() == EngineKind.AOTI;
            if (sharesTargetEmbedding(dir)) {
                CausalLM model;
                int[] draftToTarget;
                if (compiled || draftPlace.device().engine() == EngineKind.ONNXRUNTIME) {
                    // an exported draft needs only the vocabulary map, not the weights load() reads and widens
                    draftToTarget = DraftCheckpoint.readDraftToTarget(dir, checkpoint.weights());
                    model = compiled ? PlacedModels.load(draftPlace, draftGraphs)
                            : DraftCheckpoint.loadOnnx(dir, checkpoint.weights(),
                                    draftPlace.device().onnxOptions(draftPlace.intraOpThreads()));
                } else {
                    DraftCheckpoint project = DraftCheckpoint.load(dir, checkpoint.weights());
                    draftToTarget = project.draftToTarget();
                    model = DjlCausalLM.load(project.weights(), draftPlace.device().djlDevice(),
                            draftPlace.intraOpThreads());
                }
                options = options.withDraft(model, null, draftToTarget);
            } else {
                Checkpoint standalone = Checkpoint.open(dir);
                options = options.withDraft(PlacedModels.load(draftPlace, compiled ? draftGraphs : dir),
                        standalone.tokenizer(), null);
            }
        }
        // the target last: loading it releases its host copy of the layers the draft does not need
        try {
            return new Loaded(checkpoint, loadTarget(placed.target(), checkpoint), options);
        } catch (RuntimeException e) {
            if (options.draftModel() != null) {
                options.draftModel().close();
            }
            throw e;
        }
    }

    private CausalLM loadTarget(Placement targetPlace, Checkpoint checkpoint) {
        if (targetPlace.device().engine() == EngineKind.AOTI) {
            CausalLM target = PlacedModels.load(targetPlace, targetGraphs);
            requireSameVocabulary(target, checkpoint);
            return target;
        }
        if (targetPlace.device().engine() == EngineKind.PYTORCH) {
            return DjlCausalLM.load(checkpoint.weights(), targetPlace.device().djlDevice(),
                    targetPlace.intraOpThreads());
        }
        throw new IllegalArgumentException("the target runs on pytorch or aoti (early exit needs an engine that"
                + " runs layer by layer); the plan puts it on " + targetPlace.device());
    }

    /**
     * Compiled graphs are named exactly where the plan puts a model on aoti, before any device is
     * probed or model loaded.
     */
    void requireGraphsWherePlaced(DevicePlan parsed, boolean needDraft) {
        requireGraphs("target", parsed == null ? null : parsed.target(), targetGraphs);
        if (needDraft) {
            // a strategy without a draft model ignores the draft's options, as it ignores --draft
            requireGraphs("draft", parsed == null ? null : parsed.draft(), draftGraphs);
        }
    }

    /** {@code placement} null: no plan given, so the model is on pytorch:cpu. */
    private static void requireGraphs(String role, Placement placement, Path graphs) {
        boolean onAoti = placement != null && placement.device().engine() == EngineKind.AOTI;
        if (onAoti && graphs == null) {
            throw new IllegalArgumentException("the plan puts the " + role + " on " + placement.device() + ": pass --"
                    + role + "-graphs DIR, the " + role + "'s graphs exported by tools/gpu/export_aoti.py");
        }
        if (!onAoti && graphs != null) {
            throw new IllegalArgumentException("--" + role + "-graphs is for a " + role + " on aoti; the plan puts it on "
                    + (placement == null ? "pytorch:cpu (no --plan)" : placement.device().toString()));
        }
    }

    private static void requireSameVocabulary(CausalLM graphs, Checkpoint checkpoint) {
        int compiled = graphs.config().vocabSize();
        int given = checkpoint.config().vocabSize();
        if (compiled != given) {
            graphs.close();
            throw new IllegalArgumentException("--target-graphs were exported from a model of " + compiled
                    + " tokens, --target " + checkpoint.source() + " has " + given + ": export the graphs from it");
        }
    }

    /** The plan given, checked against what this machine has; both pipelines on pytorch:cpu without one. */
    DevicePlan devicePlan() {
        if (plan == null) {
            return DevicePlan.parse("target=pytorch:cpu,draft=pytorch:cpu");
        }
        DevicePlan parsed = DevicePlan.parse(plan);
        DeviceInventory inventory = DeviceInventory.discover();
        return PlanCheck.of(parsed.withDefaultThreads(inventory.cpu()), inventory).requireValid();
    }

    WaitPolicy waitPolicy() {
        return OptionName.parse(WaitPolicy.class, waitPolicy, "wait policy");
    }

    Generator openGenerator() {
        Strategy chosen = strategy();
        return load(chosen.needsDraftModel()).generator(chosen);
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
