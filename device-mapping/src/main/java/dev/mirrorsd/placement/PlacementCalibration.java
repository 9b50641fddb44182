package dev.mirrorsd.placement;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.devices.DeviceInventory;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.mapping.DevicePlan;
import dev.mirrorsd.mapping.Placement;
import dev.mirrorsd.mapping.PipelineRole;
import dev.mirrorsd.mapping.PlanCheck;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The measuring half of auto placement: lists the plans this machine allows for a target and a
 * draft, measures both models on each plan's devices with {@link LatencyCalibrator}, and hands the
 * latencies to {@link CalibratedPlacement}.
 *
 * <p>Each model is tried on every device whose engine loads it as it is
 * ({@link EngineProvider#accepts}); the target only where its engine can stop at an early exit.
 * With no draft, the target's first quarter of layers stands in for it on the target's device.
 *
 * <p>Each model is measured alone: two pipelines sharing a CPU slow each other down beyond this.
 */
public final class PlacementCalibration {

    private final DeviceInventory inventory;
    private final LatencyCalibrator calibrator;
    private final PlacementOptions options;
    private final PrintStream log;

    private PlacementCalibration(DeviceInventory inventory, LatencyCalibrator calibrator, PlacementOptions options, PrintStream log) {
        this.inventory = inventory;
        this.calibrator = calibrator;
        this.options = options;
        this.log = log;
    }

    public static PlacementCalibration on(DeviceInventory inventory, LatencyCalibrator calibrator, PlacementOptions options, PrintStream log) {
        return new PlacementCalibration(inventory, calibrator, options, log);
    }

    /** Measures every allowed plan and returns the choice; {@code draft} may be null. */
    public PlacementChoice run(Path target, Path draft) {
        List<CalibratedPlacement.Candidate> candidates = new ArrayList<>();
        for (Accelerator targetDevice : placeable(target, true)) {
            for (Placement draftPlacement : draftPlacements(targetDevice, draft)) {
                DevicePlan plan = DevicePlan.of(new Placement(PipelineRole.TARGET, targetDevice.id(), 0), draftPlacement)
                        .withDefaultThreads(inventory.cpu());
                PlanCheck check = PlanCheck.of(plan, inventory);
                if (!check.ok()) {
                    log.println("skipping " + plan + ": " + String.join("; ", check.errors()));
                    continue;
                }
                candidates.add(measure(plan, target, draft));
            }
        }
        if (candidates.isEmpty()) {
            throw new IllegalStateException("no plan can run here; devices: " + inventory.describeAvailable());
        }
        int layers = candidates.get(0).target().layers();
        return CalibratedPlacement.with(options.withMinExitLayer(Math.max(options.minExitLayer(), layers / 4))).choose(candidates);
    }

    private List<Placement> draftPlacements(Accelerator targetDevice, Path draft) {
        List<Placement> placements = new ArrayList<>();
        if (draft == null) {
            placements.add(new Placement(PipelineRole.DRAFT, targetDevice.id(), 0));
            return placements;
        }
        for (Accelerator a : placeable(draft, false)) {
            placements.add(new Placement(PipelineRole.DRAFT, a.id(), 0));
        }
        return placements;
    }

    /** Devices whose engine loads {@code model} as it is, and stops at an early exit where {@code target}. */
    private List<Accelerator> placeable(Path model, boolean target) {
        List<Accelerator> found = new ArrayList<>();
        for (Accelerator a : inventory.accelerators()) {
            EngineProvider engine = Engines.get(a.id().engine());
            if (engine.accepts(model) && (!target || engine.earlyExit())) {
                found.add(a);
            }
        }
        return found;
    }

    private CalibratedPlacement.Candidate measure(DevicePlan plan, Path targetPath, Path draftPath) {
        log.println("calibrating " + plan + " ...");
        try (CausalLM target = plan.target().load(ModelSource.of(targetPath))) {
            ForwardLatency targetLatency = calibrator.measure(target, plan.target().device());
            ForwardLatency draftLatency;
            if (draftPath == null) {
                CausalLM standIn = target.firstLayers(Math.max(1, target.config().numLayers() / 4));
                draftLatency = calibrator.measure(standIn, plan.draft().device());
            } else {
                try (CausalLM draft = plan.draft().load(ModelSource.of(draftPath))) {
                    draftLatency = calibrator.measure(draft, plan.draft().device());
                }
            }
            return new CalibratedPlacement.Candidate(plan, targetLatency, draftLatency);
        }
    }
}
