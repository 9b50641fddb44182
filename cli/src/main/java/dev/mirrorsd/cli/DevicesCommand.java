package dev.mirrorsd.cli;

import dev.mirrorsd.devices.DeviceInventory;
import dev.mirrorsd.mapping.DevicePlan;
import dev.mirrorsd.mapping.PlanCheck;
import dev.mirrorsd.placement.LatencyCalibrator;
import dev.mirrorsd.placement.PlacementCalibration;
import dev.mirrorsd.placement.PlacementChoice;
import dev.mirrorsd.placement.PlacementOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code mirror-sd devices}: what this machine can run on; checks a device plan; calibrates one. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the engines, devices and CPU cores found here; check a device plan (--plan);"
                + " measure the models and pick a plan, l_e, kappa and gamma (--calibrate).")
final class DevicesCommand implements Callable<Integer> {

    @Option(names = "--plan", description = "A device plan to check, e.g."
            + " \"target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1\".")
    String plan;

    @Option(names = "--plan-file", description = "A properties file with the keys of --plan, one per line.")
    Path planFile;

    @Option(names = "--calibrate", description = "Measure forward latency per window size on each device and"
            + " pick the plan and (l_e, kappa, gamma), with the reasoning.")
    boolean calibrate;

    @Option(names = "--target", description = "Target model for --calibrate: a GGUF file or a Hugging Face directory"
            + " (default: $MIRRORSD_TARGET, set by bin/mirror-sd to SmolLM2-135M-Instruct).")
    Path target;

    @Option(names = "--draft", description = "Draft model for --calibrate: a directory with model.onnx (runs on"
            + " onnxruntime), or a GGUF file / Hugging Face directory (runs on pytorch). Default: the target's"
            + " first quarter of layers stands in.")
    Path draft;

    @Override
    public Integer call() {
        // a plan that does not parse fails before discovery loads any engine
        DevicePlan parsed = plan != null ? DevicePlan.parse(plan) : planFile != null ? DevicePlan.read(planFile) : null;
        DeviceInventory inventory = DeviceInventory.discover();
        System.out.print(inventory.describe());
        int status = 0;
        if (parsed != null) {
            PlanCheck check = PlanCheck.of(parsed.withDefaultThreads(inventory.cpu()), inventory);
            System.out.print(check.describe());
            status = check.ok() ? 0 : 2;
        }
        if (calibrate) {
            PlacementChoice choice = PlacementCalibration.on(inventory, LatencyCalibrator.quick(), PlacementOptions.defaults(), System.err)
                    .run(targetPath(), draft);
            System.out.println("Placement: " + choice.plan() + " with l_e=" + choice.exitLayer() + ", kappa=" + choice.kappa()
                    + ", gamma=" + choice.gamma());
            choice.reasoning().forEach(line -> System.out.println("  " + line));
        }
        return status;
    }

    private Path targetPath() {
        return ModelOptions.targetOrDefault(target);
    }
}
