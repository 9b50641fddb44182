package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.DeviceKind;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Plain Java on the CPU: GGUF blocks mapped from the file and multiplied with the Vector API, one
 * thread pool per model (the plan's {@code threads}), early exit at any layer. Needs the JVM flag
 * {@code --add-modules jdk.incubator.vector}; without it the engine lists no device and says why.
 */
public final class JavaEngineProvider implements EngineProvider {

    public static final String NAME = "java";
    private static final Backend CPU = new Backend(NAME, "cpu", DeviceKind.CPU, false);
    private static final String VECTOR_MODULE = "jdk.incubator.vector";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Backend> backends() {
        return List.of(CPU);
    }

    @Override
    public Discovery discover() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return Discovery.unavailable("the java engine needs the Vector API: start java with --add-modules "
                    + VECTOR_MODULE);
        }
        return new Discovery(List.of(new Accelerator(new DeviceId(CPU, 0), "Java " + Runtime.version().feature()
                + " Vector API, " + Kernels.LANES * 32 + "-bit vectors, "
                + Runtime.getRuntime().availableProcessors() + " processors")), List.of());
    }

    @Override
    public boolean hiddenStates() {
        return true;
    }

    /** A GGUF file (run in its block formats) or a Hugging Face folder of safetensors (run in fp32). */
    @Override
    public boolean accepts(Path model) {
        return Checkpoint.namesCheckpoint(model);
    }

    @Override
    public CausalLM load(ModelSource source, DeviceId device, int threads) {
        if (!device.backend().equals(CPU)) {
            throw new IllegalArgumentException(device + " is not a " + NAME + " device");
        }
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            throw new IllegalStateException("the java engine needs the Vector API: start java with --add-modules "
                    + VECTOR_MODULE);
        }
        Path path = gguf(source);
        return path != null ? JavaCausalLM.loadGguf(path, threads) : JavaCausalLM.load(source.weights(), threads);
    }

    /** The GGUF file a source names, or null for weights in memory and safetensors folders. */
    private static Path gguf(ModelSource source) {
        try {
            Path path = source.path();
            return Files.isRegularFile(path) && path.getFileName().toString().endsWith(".gguf") ? path : null;
        } catch (IllegalStateException inMemory) {
            return null;
        }
    }
}
