package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.DeviceKind;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * AOTInductor graphs compiled by tools/gpu/export_aoti.py, run through the user's PyTorch install
 * (libtorch's C interface, through the JNI shim). Loads the exported folder, not the checkpoint;
 * stops at the early-exit split the export was compiled with.
 */
public final class AotiEngineProvider implements EngineProvider {

    public static final String NAME = "aoti";
    /** Graphs compiled for the CPU. */
    static final Backend CPU = new Backend(NAME, "cpu", DeviceKind.CPU, false);
    /** Graphs compiled for CUDA, on one GPU. */
    static final Backend GPU = new Backend(NAME, "gpu", DeviceKind.GPU, true);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Backend> backends() {
        return List.of(CPU, GPU);
    }

    /** CUDA GPUs as the driver reports them through the shim; libtorch itself is not loaded here. */
    @Override
    public Discovery discover() {
        AotiRuntime.Probe probe;
        try {
            probe = AotiRuntime.probe();
        } catch (AotiUnavailableException e) {
            return Discovery.unavailable("AOTI engine unavailable: " + e.getMessage());
        }
        String torch = "AOTInductor graphs, libtorch from " + probe.torchLib();
        List<Accelerator> found = new ArrayList<>();
        found.add(new Accelerator(new DeviceId(CPU, 0), torch + " on CPU"));
        for (int i = 0; i < probe.cudaDevices(); i++) {
            found.add(new Accelerator(new DeviceId(GPU, i), torch + " on CUDA device " + i));
        }
        return new Discovery(found, List.of());
    }

    /** A folder written by tools/gpu/export_aoti.py. */
    @Override
    public boolean accepts(Path model) {
        return Files.isRegularFile(model.resolve(AotiManifest.FILE_NAME));
    }

    /** {@code threads} is not used: the graphs run on libtorch's own pool. */
    @Override
    public CausalLM load(ModelSource source, DeviceId device, int threads) {
        return AotiCausalLM.load(source.path(), aotiDevice(device));
    }

    static AotiDevice aotiDevice(DeviceId device) {
        if (device.backend().equals(GPU)) {
            return AotiDevice.gpu(device.index());
        }
        if (device.backend().equals(CPU)) {
            return AotiDevice.cpu();
        }
        throw new IllegalArgumentException(device + " is not an aoti device");
    }

    @Override
    public boolean needsExport() {
        return true;
    }

    @Override
    public Optional<String> nativeRuntime() {
        return Optional.of("libtorch");
    }
}
