package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.CpuAndGpus;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.FeatureDraftModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * AOTInductor graphs compiled by tools/gpu/export_aoti.py, run through the user's PyTorch install
 * (libtorch's C interface, through the JNI shim). Loads the exported folder, not the checkpoint;
 * stops at the early-exit split the export was compiled with.
 */
public final class AotiEngineProvider implements EngineProvider {

    public static final String NAME = "aoti";
    /** Graphs compiled for the CPU, or for CUDA on one GPU. */
    private static final CpuAndGpus BACKENDS = CpuAndGpus.of(NAME);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Backend> backends() {
        return BACKENDS.backends();
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
        return new Discovery(BACKENDS.accelerators("AOTInductor graphs, libtorch from " + probe.torchLib(),
                probe.cudaDevices()), List.of());
    }

    /** A folder written by tools/gpu/export_aoti.py. */
    @Override
    public boolean accepts(Path model) {
        return Files.isRegularFile(model.resolve(AotiManifest.FILE_NAME));
    }

    /** {@code threads} is not used: the graphs run on libtorch's own pool. */
    @Override
    public CausalLM load(ModelSource source, DeviceId device, int threads) {
        return AotiCausalLM.load(source.path(), BACKENDS.place(device, AotiDevice::cpu, AotiDevice::gpu));
    }

    /** A folder written by export_aoti.py --feature-draft: the draft's steps as graphs on the device. */
    @Override
    public Optional<FeatureDraftModel> loadFeatureDraft(Path export, DeviceId device) {
        if (!AotiFeatureDraft.isExport(export)) {
            return Optional.empty();
        }
        return Optional.of(AotiFeatureDraft.load(export, BACKENDS.place(device, AotiDevice::cpu, AotiDevice::gpu)));
    }

    /** At the stages' boundaries below the last layer: a feature draft's layers must be exit layers of the export. */
    @Override
    public boolean hiddenStates() {
        return true;
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
