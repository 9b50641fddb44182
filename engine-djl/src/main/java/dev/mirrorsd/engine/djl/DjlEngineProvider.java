package dev.mirrorsd.engine.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.CpuAndGpus;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * PyTorch through DJL: runs the checkpoint's weights layer by layer, so early exit works at any
 * layer. libtorch's intra-op thread count is process-wide.
 */
public final class DjlEngineProvider implements EngineProvider {

    public static final String NAME = "pytorch";
    private static final CpuAndGpus BACKENDS = CpuAndGpus.of(NAME);
    private static final String DJL_PYTORCH = "PyTorch";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Backend> backends() {
        return BACKENDS.backends();
    }

    @Override
    public Discovery discover() {
        List<String> notes = new ArrayList<>();
        for (String name : Engine.getAllEngines()) {
            if (!DJL_PYTORCH.equals(name)) {
                notes.add("DJL engine " + name + " is present; mirror-sd runs DJL models on PyTorch only");
            }
        }
        if (!Engine.hasEngine(DJL_PYTORCH)) {
            notes.add("DJL's PyTorch engine is not on the class path");
            return new Discovery(List.of(), notes);
        }
        List<Accelerator> found = List.of();
        try {
            Engine engine = Engine.getEngine(DJL_PYTORCH);
            found = BACKENDS.accelerators("libtorch " + engine.getVersion(), engine.getGpuCount());
        } catch (RuntimeException | LinkageError e) {
            // a machine without DJL's natives (a GPU box running only AOTI graphs) still lists its devices
            notes.add("DJL's PyTorch engine failed to load: " + e);
        }
        return new Discovery(found, notes);
    }

    @Override
    public boolean hiddenStates() {
        return true;
    }

    /** Op-at-a-time libtorch spends a step on dispatch and memory, not arithmetic: five rows cost about one. */
    @Override
    public boolean cheapCpuWindows() {
        return true;
    }

    /** A GGUF file or a Hugging Face folder of safetensors (config.json beside them). */
    @Override
    public boolean accepts(Path model) {
        return Checkpoint.namesCheckpoint(model);
    }

    @Override
    public CausalLM load(ModelSource source, DeviceId device, int threads) {
        return DjlCausalLM.load(source.weights(), BACKENDS.place(device, Device::cpu, Device::gpu), threads);
    }

    @Override
    public Optional<String> nativeRuntime() {
        return Optional.of("libtorch");
    }

    @Override
    public boolean sharesCpuThreads() {
        return true;
    }
}
