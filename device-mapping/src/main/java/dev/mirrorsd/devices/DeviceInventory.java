package dev.mirrorsd.devices;

import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.DeviceId;


import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What this machine can run models on: the devices each installed engine finds, and the CPU layout. Immutable; {@link #discover()} builds it once, tests build one with {@link #of}.
 *
 * @param accelerators every usable device, engine by engine
 * @param cpu          processors and cores
 * @param notes        what discovery skipped and why (an engine that failed to load, a provider
 *                     mirror-sd does not drive)
 */
public record DeviceInventory(List<Accelerator> accelerators, CpuInfo cpu, List<String> notes) {

    public DeviceInventory {
        accelerators = List.copyOf(accelerators);
        Objects.requireNonNull(cpu, "cpu");
        notes = List.copyOf(notes);
    }

    public static DeviceInventory of(CpuInfo cpu, Accelerator... accelerators) {
        return new DeviceInventory(List.of(accelerators), cpu, List.of());
    }

    /**
     * Asks every installed engine ({@link Engines}) what it can run on here. An engine whose native
     * runtime fails to load is left out, with a note; libtorch must load without a download (run
     * with {@code -Dai.djl.offline=true} and the native jar on the class path).
     */
    public static DeviceInventory discover() {
        List<Accelerator> found = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (Engines.all().isEmpty()) {
            notes.add("no engine module is on the class path");
        }
        for (EngineProvider engine : Engines.all()) {
            EngineProvider.Discovery discovery = engine.discover();
            found.addAll(discovery.accelerators());
            notes.addAll(discovery.notes());
        }
        return new DeviceInventory(found, CpuInfo.discover(), notes);
    }

    /** The accelerator with this id, if the machine has it. */
    public Optional<Accelerator> find(DeviceId id) {
        return accelerators.stream().filter(a -> a.id().equals(id)).findFirst();
    }

    public boolean has(DeviceId id) {
        return find(id).isPresent();
    }

    /** Accelerators of one engine, in discovery order. */
    public List<Accelerator> on(String engine) {
        return accelerators.stream().filter(a -> a.id().engine().equals(engine)).collect(Collectors.toList());
    }

    /** "pytorch:cpu (libtorch 2.7.1 on CPU), onnxruntime:cpu (CPUExecutionProvider, ...)" */
    public String describeAvailable() {
        return accelerators.isEmpty() ? "nothing"
                : accelerators.stream().map(Accelerator::toString).collect(Collectors.joining(", "));
    }

    /** Several lines for a terminal: CPU, then each device, then the notes. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        out.append("CPU: ").append(cpu).append('\n');
        out.append("Devices:\n");
        for (Accelerator a : accelerators) {
            out.append(String.format("  %-22s %-4s %s%n", a.id(), a.id().kind(), a.description()));
        }
        for (String note : notes) {
            out.append("Note: ").append(note).append('\n');
        }
        return out.toString();
    }
}
