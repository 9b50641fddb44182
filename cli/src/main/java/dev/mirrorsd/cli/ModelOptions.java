package dev.mirrorsd.cli;

import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.mapping.Deployment;
import dev.mirrorsd.mapping.DevicePlan;
import dev.mirrorsd.mapping.PlacedModels;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.MirrorOptions;
import dev.mirrorsd.pipeline.OptionName;
import dev.mirrorsd.pipeline.ring.WaitPolicy;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/** Which models and which strategy; the defaults are the ones bin/mirror-sd fetches and the repository ships. */
final class ModelOptions {

    @Option(names = "--target", description = "Target model: a GGUF file or a Hugging Face directory"
            + " (default: $MIRRORSD_TARGET, set by bin/mirror-sd to SmolLM2-135M-Instruct).")
    Path target;

    @Option(names = "--draft", description = "Draft model for the draft, streaming and mirror strategies: a"
            + " project draft directory or any GGUF file / Hugging Face directory with the target's tokenizer"
            + " (default: models/feature-draft where the target's engine gives hidden states and no streaming"
            + " runs, models/draft otherwise).")
    Path draft;

    @Option(names = "--target-graphs", description = "The target's AOTInductor graphs, a folder written by"
            + " tools/gpu/export_aoti.py, for a plan that puts the target on aoti:gpuN or aoti:cpu; --target still"
            + " gives the tokenizer and chat template.")
    Path targetGraphs;

    @Option(names = "--draft-graphs", description = "The draft's AOTInductor graphs (tools/gpu/export_aoti.py"
            + " --draft), for a plan that puts the draft on aoti:gpuN or aoti:cpu; --draft still gives its vocabulary"
            + " map or tokenizer.")
    Path draftGraphs;

    @Option(names = "--strategy", description = "autoregressive, draft, prompt-lookup, early-exit, streaming,"
            + " mirror (default: the fastest measured for the plan's target device; `bench` says which and why).")
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
            + " default: the target on java:cpu, the draft on pytorch:cpu, each with its engine's own thread count.")
    String plan;

    @Option(names = "--confidence-threshold", defaultValue = "0", description = "Stop a round's drafting when"
            + " the draft's probability falls below this (default ${DEFAULT-VALUE} = never).")
    float confidenceThreshold;

    @Option(names = "--tree-branches", defaultValue = "1", description = "First-token alternatives the draft"
            + " proposes as a tree (default ${DEFAULT-VALUE} = a chain).")
    int treeBranches;

    @Option(names = "--tree-nodes", defaultValue = "0", description = "Draft a dynamic tree of this many tokens"
            + " per round, grown by the draft's confidence as EAGLE-2 does (default ${DEFAULT-VALUE} = chains); the"
            + " round's draft length (--num-assistant-tokens) bounds its depth. A GPU verifies a wide tree for about the cost of"
            + " one row; a CPU pays per row.")
    int treeNodes;

    @Option(names = "--tree-branching", defaultValue = "4", description = "A dynamic tree's children per node and"
            + " nodes expanded per depth (default ${DEFAULT-VALUE}).")
    int treeBranching;

    @Option(names = "--lookup-ngram", defaultValue = "" + DraftOptions.LOOKUP_NGRAM, description = "The draft"
            + " strategy leaves a round to prompt lookup when the context's last N or more tokens occurred before"
            + " (default ${DEFAULT-VALUE}; 0 = the draft drafts every round).")
    int lookupNgram;

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

    /** {@link #draftPath(Collection)} for the one strategy this command runs. */
    Path draftPath() {
        return draftPath(List.of(strategy == null ? defaultStrategyAsWritten().strategy() : Strategy.byName(strategy)));
    }

    /**
     * {@code --draft}, or the project's: the feature draft (models/feature-draft) when the strategies
     * to run include one that runs it (draft, mirror) and none that needs a token draft (streaming),
     * the target's engine gives hidden states and no draft export is named; the token draft
     * (models/draft) otherwise.
     */
    Path draftPath(Collection<Strategy> runs) {
        if (draft != null) {
            return draft;
        }
        Path models = Path.of(System.getenv().getOrDefault("MIRRORSD_HOME", "."), "models");
        Path featureDraft = models.resolve("feature-draft");
        DeviceId targetDevice = planAsWritten().target().device();
        if (runsFeatureDraft(runs) && draftGraphs == null && FeatureDraft.isFeatureDraft(featureDraft)
                && Engines.get(targetDevice.engine()).hiddenStates()) {
            return featureDraft;
        }
        return models.resolve("draft");
    }

    Strategy strategy() {
        return strategy == null ? defaultStrategy().strategy() : Strategy.byName(strategy);
    }

    /** The fastest strategy measured for where the plan puts the target. */
    Strategy.Choice defaultStrategy() {
        return fastestFor(devicePlan().target().device());
    }

    /** Where the models run and from which files, with the strategies' options. */
    Deployment deployment() {
        return deployment(draftPath());
    }

    private Deployment deployment(Path draftPath) {
        MirrorOptions mirror = MirrorOptions.defaults().withKappa(kappa).withWaitPolicy(waitPolicy())
                .withMissPolicy(OptionName.parse(MissPolicy.class, onMiss, "miss policy"));
        DraftOptions options = DraftOptions.defaults().withExitLayer(exitLayer)
                .withConfidenceThreshold(confidenceThreshold).withRootBranches(treeBranches)
                .withDynamicTree(treeBranching, treeNodes).withLookupNgram(lookupNgram).withMirror(mirror);
        return Deployment.plan(plan).target(targetPath()).draft(draftPath).targetExport(targetGraphs)
                .draftExport(draftGraphs).options(options);
    }

    /** Loads the target, and the draft that {@code runs} need, where the device plan says. */
    PlacedModels load(Collection<Strategy> runs) {
        return deployment(draftPath(runs)).load(runs.stream().anyMatch(Strategy::needsDraftModel));
    }

    /** Whether strategies run together may share the feature draft: one runs it and none needs tokens only. */
    static boolean runsFeatureDraft(Collection<Strategy> runs) {
        return (runs.contains(Strategy.DRAFT) || runs.contains(Strategy.MIRROR)) && !runs.contains(Strategy.STREAMING);
    }

    // the plan as written: probing devices here would need the draft path again
    private DevicePlan planAsWritten() {
        return DevicePlan.parse(plan == null ? Deployment.DEFAULT_PLAN : plan);
    }

    /** {@link #defaultStrategy} for the plan as written, before it is checked against this machine. */
    Strategy.Choice defaultStrategyAsWritten() {
        return fastestFor(planAsWritten().target().device());
    }

    private Strategy.Choice fastestFor(DeviceId target) {
        boolean compiledFeatureDraft = draftGraphs != null && draft != null && FeatureDraft.isFeatureDraft(draft);
        return Strategy.fastestOn(target.kind(), Engines.get(target.engine()).cheapCpuWindows(), compiledFeatureDraft);
    }

    /** The plan given, checked against what this machine has; the target on java:cpu and the draft on pytorch:cpu without one. */
    DevicePlan devicePlan() {
        return deployment().devicePlan();
    }

    WaitPolicy waitPolicy() {
        return OptionName.parse(WaitPolicy.class, waitPolicy, "wait policy");
    }

    Generator openGenerator() {
        return deployment().open(strategy());
    }
}
