package dev.mirrorsd.mapping;

import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.devices.DeviceInventory;
import dev.mirrorsd.core.engine.DeviceKind;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.Engines;

import java.util.ArrayList;
import java.util.List;

/**
 * A device plan checked against a machine. Errors stop the plan; warnings let it run but say what
 * it will cost.
 *
 * <p>Rules:
 * <ul>
 *   <li>every device must be in the inventory (error; the message lists what exists);</li>
 *   <li>both pipelines on the CPU of an engine whose thread count is process-wide (pytorch:cpu)
 *       with different thread budgets is an error: the last model loaded would set it for both;
 *       with the same budget it is a warning, since both pipelines then queue on one pool;</li>
 *   <li>more intra-op threads on the CPU than logical processors is a warning (time-slicing);</li>
 *   <li>a target on an engine that cannot stop mid-model (onnxruntime) is a warning: no early exit;</li>
 *   <li>two engines that load the same native library (pytorch with DJL's libtorch, aoti with the
 *       user's PyTorch) in one plan is an error: a process can hold one libtorch.</li>
 * </ul>
 *
 * @param plan     the plan as checked
 * @param errors   why it cannot run here; empty if it can
 * @param warnings what it will cost
 */
public record PlanCheck(DevicePlan plan, List<String> errors, List<String> warnings) {

    public PlanCheck {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    public static PlanCheck of(DevicePlan plan, DeviceInventory inventory) {
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        checkAvailable(plan, inventory, errors);
        checkLibtorchPool(plan, errors, warnings);
        checkCpuBudget(plan, inventory.cpu().logicalProcessors(), warnings);
        checkOneLibtorch(plan, errors);
        if (!Engines.get(plan.target().device().engine()).earlyExit()) {
            warnings.add("target=" + plan.target().device() + " runs as one graph and cannot stop at the"
                    + " early-exit layer; the early-exit and Mirror strategies need a target engine that can");
        }
        return new PlanCheck(plan, errors, warnings);
    }

    private static void checkAvailable(DevicePlan plan, DeviceInventory inventory, List<String> errors) {
        List<String> missing = new ArrayList<>();
        for (PipelineRole role : PipelineRole.values()) {
            Placement p = plan.placement(role);
            if (!inventory.has(p.device())) {
                missing.add(role.key() + "=" + p.device());
            }
        }
        if (!missing.isEmpty()) {
            errors.add(String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " not available here; available: " + inventory.describeAvailable());
        }
    }

    /** Both models on the CPU of one engine whose thread count is process-wide. */
    static boolean shareLibtorchPool(DevicePlan plan) {
        DeviceId target = plan.target().device();
        DeviceId draft = plan.draft().device();
        return target.equals(draft) && target.kind() == DeviceKind.CPU && Engines.get(target.engine()).sharesCpuThreads();
    }

    private static void checkLibtorchPool(DevicePlan plan, List<String> errors, List<String> warnings) {
        if (!shareLibtorchPool(plan)) {
            return;
        }
        int t = plan.target().intraOpThreads();
        int d = plan.draft().intraOpThreads();
        if (t != d) {
            errors.add("target and draft both on " + plan.target().device() + " ask for " + threads(t) + " and " + threads(d)
                    + " intra-op threads, but that engine's intra-op thread count is process-wide: the last model"
                    + " loaded sets it for both. Give both the same threads.*, or put the draft on onnxruntime:cpu,"
                    + " whose session owns its thread pool");
        } else {
            warnings.add("target and draft share " + plan.target().device() + "'s one intra-op pool (" + threads(t) + " threads): their"
                    + " operators queue behind each other; onnxruntime:cpu keeps the draft on its own pool");
        }
    }

    /** Two engines that load the same native library (DJL's libtorch and the PyTorch install's) cannot share a process. */
    private static void checkOneLibtorch(DevicePlan plan, List<String> errors) {
        EngineProvider target = Engines.get(plan.target().device().engine());
        EngineProvider draft = Engines.get(plan.draft().device().engine());
        if (target != draft && target.nativeRuntime().isPresent() && target.nativeRuntime().equals(draft.nativeRuntime())) {
            errors.add("target=" + plan.target().device() + " and draft=" + plan.draft().device() + " would load two"
                    + " " + target.nativeRuntime().get() + " builds into one process; place both on one engine, or the"
                    + " draft on an engine without " + target.nativeRuntime().get());
        }
    }

    private static void checkCpuBudget(DevicePlan plan, int cpus, List<String> warnings) {
        int total = 0;
        List<String> parts = new ArrayList<>();
        for (PipelineRole role : PipelineRole.values()) {
            Placement p = plan.placement(role);
            if (p.device().kind() == DeviceKind.CPU) {
                total += p.effectiveThreads(cpus);
                parts.add(role.key() + " " + p.effectiveThreads(cpus));
            }
        }
        if (total > cpus) {
            warnings.add("intra-op threads on the CPU (" + String.join(" + ", parts) + ") exceed its " + cpus
                    + " logical processors: the pipelines will time-slice instead of running side by side");
        }
    }

    private static String threads(int n) {
        return n == 0 ? "default" : Integer.toString(n);
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The plan if it can run here; otherwise one exception whose message holds every error. */
    public DevicePlan requireValid() {
        if (!ok()) {
            throw new DevicePlanException(String.join("; ", errors));
        }
        return plan;
    }

    /** The plan, one line per pipeline, then the warnings and errors. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        out.append("Plan: ").append(plan.toSpec()).append('\n');
        out.append("  ").append(plan.target()).append('\n');
        out.append("  ").append(plan.draft()).append('\n');
        for (String w : warnings) {
            out.append("Warning: ").append(w).append('\n');
        }
        for (String e : errors) {
            out.append("Error: ").append(e).append('\n');
        }
        return out.toString();
    }
}
