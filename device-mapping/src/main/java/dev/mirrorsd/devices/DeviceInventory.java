package dev.mirrorsd.devices;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.mirrorsd.core.engine.aoti.AotiRuntime;
import dev.mirrorsd.core.engine.aoti.AotiUnavailableException;
import dev.mirrorsd.core.engine.onnx.OnnxProvider;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What this machine can run models on: DJL PyTorch devices, ONNX Runtime execution providers, GPUs
 * for AOTI graphs (through the user's PyTorch), and the CPU layout. Immutable; {@link #discover()} builds it once, tests build one with {@link #of}.
 *
 * @param accelerators every usable device, PyTorch first
 * @param cpu          processors and cores
 * @param notes        what discovery skipped and why (an engine that failed to load, a provider
 *                     mirror-sd does not drive)
 */
public record DeviceInventory(List<Accelerator> accelerators, CpuInfo cpu, List<String> notes) {

    private static final String PYTORCH = "PyTorch";

    public DeviceInventory {
        accelerators = List.copyOf(accelerators);
        Objects.requireNonNull(cpu, "cpu");
        notes = List.copyOf(notes);
    }

    public static DeviceInventory of(CpuInfo cpu, Accelerator... accelerators) {
        return new DeviceInventory(List.of(accelerators), cpu, List.of());
    }

    /**
     * Asks DJL and ONNX Runtime what they can run on. DJL must be able to load libtorch without a
     * download (run with {@code -Dai.djl.offline=true} and the native jar on the class path); an
     * engine that fails to load is left out, with a note.
     */
    public static DeviceInventory discover() {
        List<Accelerator> found = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        discoverDjl(found, notes);
        discoverOnnxRuntime(found, notes);
        discoverAoti(found, notes);
        return new DeviceInventory(found, CpuInfo.discover(), notes);
    }

    private static void discoverDjl(List<Accelerator> found, List<String> notes) {
        for (String name : Engine.getAllEngines()) {
            if (!PYTORCH.equals(name)) {
                notes.add("DJL engine " + name + " is present; mirror-sd runs DJL models on PyTorch only");
            }
        }
        if (!Engine.hasEngine(PYTORCH)) {
            notes.add("DJL's PyTorch engine is not on the class path");
            return;
        }
        try {
            Engine engine = Engine.getEngine(PYTORCH);
            String version = "libtorch " + engine.getVersion();
            found.add(new Accelerator(DeviceId.torchCpu(), version + " on CPU"));
            for (int i = 0; i < engine.getGpuCount(); i++) {
                found.add(new Accelerator(DeviceId.torchGpu(i), version + " on CUDA device " + i));
            }
        } catch (RuntimeException | LinkageError e) {
            // a machine without DJL's natives (a GPU box running only AOTI graphs) still lists its devices
            notes.add("DJL's PyTorch engine failed to load: " + e);
        }
    }

    /** CUDA GPUs for AOTI graphs: the shim asks the driver; libtorch itself is not loaded here. */
    private static void discoverAoti(List<Accelerator> found, List<String> notes) {
        AotiRuntime.Probe probe;
        try {
            probe = AotiRuntime.probe();
        } catch (AotiUnavailableException e) {
            notes.add("AOTI engine unavailable: " + e.getMessage());
            return;
        }
        String torch = "AOTInductor graphs, libtorch from " + probe.torchLib();
        found.add(new Accelerator(DeviceId.of(Backend.AOTI_CPU), torch + " on CPU"));
        for (int i = 0; i < probe.cudaDevices(); i++) {
            found.add(new Accelerator(DeviceId.aotiGpu(i), torch + " on CUDA device " + i));
        }
    }

    private static void discoverOnnxRuntime(List<Accelerator> found, List<String> notes) {
        EnumSet<OrtProvider> available;
        String version;
        try {
            available = OrtEnvironment.getAvailableProviders();
            version = OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException | LinkageError e) {
            // LinkageError: ONNX Runtime's classes or natives are missing or do not load on this platform
            notes.add("ONNX Runtime failed to load: " + e);
            return;
        }
        for (OrtProvider ort : available) {
            Optional<OnnxProvider> provider = driven(ort);
            if (provider.isEmpty()) {
                notes.add("ONNX Runtime " + version + " offers " + ort.getName() + ", which mirror-sd does not drive");
                continue;
            }
            Backend backend = Backend.of(provider.get());
            // ONNX Runtime does not count GPUs; device 0 is listed, others work if present
            found.add(new Accelerator(DeviceId.of(backend), ort.getName() + ", onnxruntime " + version));
        }
    }

    private static Optional<OnnxProvider> driven(OrtProvider ort) {
        for (OnnxProvider p : OnnxProvider.values()) {
            if (p.ortProvider() == ort) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The accelerator with this id, if the machine has it. */
    public Optional<Accelerator> find(DeviceId id) {
        return accelerators.stream().filter(a -> a.id().equals(id)).findFirst();
    }

    public boolean has(DeviceId id) {
        return find(id).isPresent();
    }

    /** Accelerators of one engine, in discovery order. */
    public List<Accelerator> on(EngineKind engine) {
        return accelerators.stream().filter(a -> a.id().engine() == engine).collect(Collectors.toList());
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
