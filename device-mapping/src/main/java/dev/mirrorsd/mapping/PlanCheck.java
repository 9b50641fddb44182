package dev.mirrorsd.mapping;

import dev.mirrorsd.devices.Backend;
import dev.mirrorsd.devices.DeviceInventory;
import dev.mirrorsd.devices.DeviceKind;
import dev.mirrorsd.devices.EngineKind;

import java.util.ArrayList;
import java.util.List;

/**
 * A device plan checked against a machine. Errors stop the plan; warnings let it run but say what
 * it will cost.
 *
 * <p>Rules:
 * <ul>
 *   <li>every device must be in the inventory (error; the message lists what exists);</li>
 *   <li>both pipelines on pytorch:cpu with different thread budgets is an error: libtorch's
 *       intra-op thread count is process-wide, the last model loaded would set it for both; with
 *       the same budget it is a warning, since both pipelines then queue on one pool;</li>
 *   <li>more intra-op threads on the CPU than logical processors is a warning (time-slicing);</li>
 *   <li>a target on onnxruntime is a warning: it runs as one graph, so it cannot stop at l_e;</li>
 *   <li>pytorch (DJL's libtorch) and aoti (the user's PyTorch) in one plan is an error: a process
 *       can hold one libtorch.</li>
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
        if (plan.target().device().engine() == EngineKind.ONNXRUNTIME) {
            warnings.add("target=" + plan.target().device() + " runs as one ONNX graph and cannot stop at the"
                    + " early-exit layer; Mirror-SD's target needs pytorch");
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

    static boolean shareLibtorchPool(DevicePlan plan) {
        return plan.target().device().backend() == Backend.TORCH_CPU && plan.draft().device().backend() == Backend.TORCH_CPU;
    }

    private static void checkLibtorchPool(DevicePlan plan, List<String> errors, List<String> warnings) {
        if (!shareLibtorchPool(plan)) {
            return;
        }
        int t = plan.target().intraOpThreads();
        int d = plan.draft().intraOpThreads();
        if (t != d) {
            errors.add("target and draft both on pytorch:cpu ask for " + threads(t) + " and " + threads(d)
                    + " intra-op threads, but libtorch's intra-op thread count is process-wide: the last model"
                    + " loaded sets it for both. Give both the same threads.*, or put the draft on onnxruntime:cpu,"
                    + " whose session owns its thread pool");
        } else {
            warnings.add("target and draft share libtorch's one intra-op pool (" + threads(t) + " threads): their"
                    + " operators queue behind each other; onnxruntime:cpu keeps the draft on its own pool");
        }
    }

    private static void checkOneLibtorch(DevicePlan plan, List<String> errors) {
        EngineKind target = plan.target().device().engine();
        EngineKind draft = plan.draft().device().engine();
        if ((target == EngineKind.PYTORCH && draft == EngineKind.AOTI) || (target == EngineKind.AOTI && draft == EngineKind.PYTORCH)) {
            errors.add("target=" + plan.target().device() + " and draft=" + plan.draft().device() + " would load two"
                    + " libtorch builds (DJL's and the PyTorch install's) into one process; place both on aoti, or the"
                    + " draft on onnxruntime");
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
