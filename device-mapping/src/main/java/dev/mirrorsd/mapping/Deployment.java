package dev.mirrorsd.mapping;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.devices.DeviceInventory;
import dev.mirrorsd.draft.DraftCheckpoint;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;

import java.nio.file.Path;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A device plan turned into loaded models: the one way the command line and Java users load a
 * target and a draft where a plan says.
 *
 * <pre>{@code
 * Generator generator = Deployment.plan("target=pytorch:cpu,draft=pytorch:cpu")
 *         .target(Path.of("SmolLM2-135M-Instruct.Q4_1.gguf")).draft(Path.of("models/draft"))
 *         .open(Strategy.MIRROR);
 * }</pre>
 *
 * A plan given is checked against what this machine has ({@link PlanCheck}) before anything
 * loads; without one the target runs on {@code java:cpu} (the fastest CPU engine measured,
 * docs/results/cpu-engine.md) and the draft on {@code pytorch:cpu}. Immutable: each call returns a copy.
 */
public final class Deployment {

    /** Where both models run when no plan is given. */
    public static final String DEFAULT_PLAN = "target=java:cpu,draft=pytorch:cpu";

    private final String plan;
    private final Path target;
    private final Path draft;
    private final Path targetExport;
    private final Path draftExport;
    private final DraftOptions options;

    private Deployment(String plan, Path target, Path draft, Path targetExport, Path draftExport, DraftOptions options) {
        this.plan = plan;
        this.target = target;
        this.draft = draft;
        this.targetExport = targetExport;
        this.draftExport = draftExport;
        this.options = options;
    }

    /** A deployment on {@code plan} ("target=aoti:gpu0,draft=aoti:gpu1,..."; see {@link DevicePlan}), or the default plan when null. */
    public static Deployment plan(String plan) {
        return new Deployment(plan, null, null, null, null, DraftOptions.defaults());
    }

    /** The target: a GGUF file or Hugging Face folder; it also gives the tokenizer and chat template. */
    public Deployment target(Path path) {
        return new Deployment(plan, Objects.requireNonNull(path, "target"), draft, targetExport, draftExport, options);
    }

    /** The draft: the project's draft folder, or a GGUF file or Hugging Face folder sharing the target's tokenizer. */
    public Deployment draft(Path path) {
        return new Deployment(plan, target, Objects.requireNonNull(path, "draft"), targetExport, draftExport, options);
    }

    /** The target's export, for a plan that puts it on an engine that loads one ({@link EngineProvider#needsExport}). */
    public Deployment targetExport(Path path) {
        return new Deployment(plan, target, draft, path, draftExport, options);
    }

    /** The draft's export, for a plan that puts it on an engine that loads one. */
    public Deployment draftExport(Path path) {
        return new Deployment(plan, target, draft, targetExport, path, options);
    }

    /** Early-exit layer, tree shape, Mirror settings; the draft fields are filled in by loading. */
    public Deployment options(DraftOptions draftOptions) {
        return new Deployment(plan, target, draft, targetExport, draftExport, Objects.requireNonNull(draftOptions, "options"));
    }

    /** Loads what {@code strategy} needs and builds its generator; closing the generator closes the models. */
    public Generator open(Strategy strategy) {
        return load(strategy.needsDraftModel()).generator(strategy);
    }

    /**
     * The plan, checked against this machine when one was given.
     *
     * @throws DevicePlanException the plan does not parse, or this machine cannot run it
     */
    public DevicePlan devicePlan() {
        if (plan == null) {
            return DevicePlan.parse(DEFAULT_PLAN);
        }
        DevicePlan parsed = DevicePlan.parse(plan);
        DeviceInventory inventory = DeviceInventory.discover();
        return PlanCheck.of(parsed.withDefaultThreads(inventory.cpu()), inventory).requireValid();
    }

    /**
     * Loads the target and, when {@code withDraft}, the draft, where the plan says, for callers that
     * build several generators over the same models.
     */
    public PlacedModels load(boolean withDraft) {
        if (target == null) {
            throw new IllegalArgumentException("no target model given");
        }
        if (withDraft && draft == null) {
            throw new IllegalArgumentException("no draft model given, and the strategy needs one");
        }
        // exports are checked before any device is probed or model loaded
        DevicePlan unchecked = DevicePlan.parse(plan == null ? DEFAULT_PLAN : plan);
        requireExport(unchecked.target(), targetExport);
        if (withDraft) {
            requireExport(unchecked.draft(), draftExport);
        }
        DevicePlan placed = devicePlan();
        Checkpoint checkpoint = Checkpoint.open(target);
        DraftOptions loaded = options;
        if (withDraft) {
            loaded = withDraft(placed, checkpoint, loaded);
        }
        // the target last: loading it releases its host copy of the layers the draft does not need
        try {
            return new PlacedModels(checkpoint, loadTarget(placed.target(), checkpoint), loaded);
        } catch (RuntimeException e) {
            if (loaded.draftModel() != null) {
                loaded.draftModel().close();
            }
            throw e;
        }
    }

    private DraftOptions withDraft(DevicePlan placed, Checkpoint checkpoint, DraftOptions base) {
        Placement place = placed.draft();
        if (FeatureDraft.isFeatureDraft(draft)) {
            String engine = placed.target().device().engine();
            if (!Engines.get(engine).hiddenStates()) {
                throw new IllegalArgumentException(draft + " is a feature draft, which reads the target's hidden"
                        + " states, and the plan puts the target on " + placed.target().device() + ", whose engine"
                        + " gives none: use the token draft (--draft models/draft) or another target engine");
            }
            if (draftExport != null) {
                // compiled for the draft's engine: its steps run on the plan's draft device
                FeatureDraftModel compiled = Engines.get(place.device().engine()).loadFeatureDraft(draftExport,
                        place.device()).orElseThrow(() -> new IllegalArgumentException(draftExport + " is not a compiled"
                        + " feature draft for " + place.device() + ": export " + draft + " for it (docs/guide/gpu-engine.md)"));
                if (!FeatureDraft.isSameDraft(draft, compiled)) {
                    compiled.close();
                    throw new IllegalArgumentException(draftExport + " was compiled from another feature draft than "
                            + draft + " (its vocabulary or feature layers differ): export it again");
                }
                return base.withFeatureDraft(compiled);
            }
            // runs in Java beside the target, reading its hidden states
            return base.withFeatureDraft(FeatureDraft.load(draft, checkpoint.weights()));
        }
        if (DraftCheckpoint.isProjectDraft(draft)) {
            int[] draftToTarget = DraftCheckpoint.readDraftToTarget(draft, checkpoint.weights());
            ModelSource source = DraftCheckpoint.source(draft, checkpoint.weights());
            CausalLM model = place.load(draftExport == null ? source : source.withPath(draftExport));
            return base.withDraft(model, null, draftToTarget);
        }
        Checkpoint standalone = Checkpoint.open(draft);
        ModelSource source = ModelSource.of(draft, standalone::weights, null);
        return base.withDraft(place.load(draftExport == null ? source : source.withPath(draftExport)),
                standalone.tokenizer(), null);
    }

    private CausalLM loadTarget(Placement place, Checkpoint checkpoint) {
        EngineProvider engine = Engines.get(place.device().engine());
        if (!engine.earlyExit()) {
            throw new IllegalArgumentException("the target runs on an engine that can stop at the early-exit layer"
                    + " (the plan puts it on " + place.device() + ", which runs a model as one graph)");
        }
        ModelSource source = ModelSource.of(target, checkpoint::weights, null);
        CausalLM model = place.load(targetExport == null ? source : source.withPath(targetExport));
        int loaded = model.config().vocabSize();
        int given = checkpoint.config().vocabSize();
        if (loaded != given) {
            model.close();
            throw new IllegalArgumentException("the target's export holds a model of " + loaded + " tokens, "
                    + checkpoint.source() + " has " + given + ": export it from that model");
        }
        return model;
    }

    /** An engine that loads exports gets one; any other gets none, so a misplaced export is not silently ignored. */
    private static void requireExport(Placement placement, Path export) {
        String role = placement.role().key();
        boolean needs = Engines.get(placement.device().engine()).needsExport();
        if (needs && export == null) {
            throw new IllegalArgumentException("the plan puts the " + role + " on " + placement.device() + ", which"
                    + " loads an export: give the " + role + "'s export folder (--" + role + "-graphs, written by"
                    + " tools/gpu/export_aoti.py)");
        }
        if (!needs && export != null) {
            String loaders = Engines.all().stream().filter(EngineProvider::needsExport).map(EngineProvider::name)
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException("--" + role + "-graphs is for a " + role + " on an engine that loads"
                    + " an export (" + loaders + "); the plan puts the " + role + " on " + placement.device());
        }
    }
}
